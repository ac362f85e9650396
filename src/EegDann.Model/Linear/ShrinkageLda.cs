namespace EegDann.Model;

/// <summary>
/// A fitted linear discriminant: per class a weight vector and an intercept; the predicted class
/// maximises <c>wₖ·x + bₖ</c>.
/// </summary>
/// <param name="FeatureCount">Features per sample.</param>
/// <param name="Weights">Classes × features, row-major.</param>
/// <param name="Intercepts">One per class.</param>
/// <param name="Shrinkage">The shrinkage used for each class covariance (Ledoit–Wolf's when chosen automatically).</param>
public sealed record LinearDiscriminant(int FeatureCount, double[] Weights, double[] Intercepts, double[] Shrinkage)
{
    /// <summary>Number of classes.</summary>
    public int ClassCount => Intercepts.Length;

    /// <summary>The decision values <c>wₖ·x + bₖ</c> of one sample.</summary>
    public double[] Decision(ReadOnlySpan<double> sample)
    {
        if (sample.Length != FeatureCount)
        {
            throw new ArgumentException($"the discriminant reads {FeatureCount} features, got {sample.Length}.", nameof(sample));
        }

        var values = new double[ClassCount];
        for (int k = 0; k < ClassCount; k++)
        {
            double v = Intercepts[k];
            for (int j = 0; j < FeatureCount; j++)
            {
                v += Weights[(k * FeatureCount) + j] * sample[j];
            }

            values[k] = v;
        }

        return values;
    }

    /// <summary>The predicted class of every sample (rows of <paramref name="rows"/>, row-major).</summary>
    public int[] Predict(ReadOnlySpan<double> rows)
    {
        int count = rows.Length / FeatureCount;
        var predicted = new int[count];
        for (int i = 0; i < count; i++)
        {
            var d = Decision(rows.Slice(i * FeatureCount, FeatureCount));
            int best = 0;
            for (int k = 1; k < d.Length; k++)
            {
                if (d[k] > d[best])
                {
                    best = k;
                }
            }

            predicted[i] = best;
        }

        return predicted;
    }
}

/// <summary>
/// Linear discriminant analysis with shrinkage of the covariance, the standard linear classifier
/// of BCI (CSP + LDA): class means, the prior-weighted mean of the class covariances, each shrunk
/// towards a scaled identity, and <c>wₖ = Σ⁻¹μₖ</c>, <c>bₖ = −½ μₖᵀΣ⁻¹μₖ + ln πₖ</c>.
/// </summary>
/// <remarks>
/// As scikit-learn's <c>LinearDiscriminantAnalysis(solver='lsqr', shrinkage='auto')</c>: each class
/// covariance is estimated on standardised features with the Ledoit–Wolf shrinkage intensity
/// (Ledoit &amp; Wolf, J. Multivariate Anal. 88:365–411, 2004) and scaled back. Blankertz et al.,
/// "Single-trial analysis and classification of ERP components", NeuroImage 56:814–825, 2011,
/// explain why shrinkage matters for EEG features. Pure managed code in double precision.
/// </remarks>
public static class ShrinkageLda
{
    /// <summary>Fits the discriminant.</summary>
    /// <param name="rows">Samples × features, row-major, finite.</param>
    /// <param name="featureCount">Features per sample, ≥ 1.</param>
    /// <param name="labels">Class of each sample in <c>[0, classes)</c>; every class present with at least two samples.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <param name="shrinkage">A fixed shrinkage in [0, 1], or null for Ledoit–Wolf's.</param>
    /// <exception cref="ArgumentException">When the data cannot be fitted; the message says why.</exception>
    public static LinearDiscriminant Fit(ReadOnlySpan<double> rows, int featureCount, IReadOnlyList<int> labels, int classCount, double? shrinkage = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        int n = labels.Count, p = featureCount;
        if (rows.Length != n * p)
        {
            throw new ArgumentException($"{n} labels need {n * p} values, got {rows.Length}.", nameof(rows));
        }

        if (classCount < 2)
        {
            throw new ArgumentException("LDA needs at least two classes.", nameof(classCount));
        }

        if (shrinkage is { } s && !(s >= 0 && s <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(shrinkage), shrinkage, "shrinkage must be in [0, 1].");
        }

        var members = Enumerable.Range(0, classCount).Select(k => Enumerable.Range(0, n).Where(i => labels[i] == k).ToArray()).ToArray();
        for (int k = 0; k < classCount; k++)
        {
            if (members[k].Length < 2)
            {
                throw new ArgumentException($"class {k} has {members[k].Length} samples; LDA needs at least two per class.", nameof(labels));
            }
        }

        var means = new double[classCount * p];
        var covariance = new double[p * p];
        var used = new double[classCount];
        for (int k = 0; k < classCount; k++)
        {
            var mean = means.AsSpan(k * p, p);
            foreach (int i in members[k])
            {
                for (int j = 0; j < p; j++)
                {
                    mean[j] += rows[(i * p) + j];
                }
            }

            for (int j = 0; j < p; j++)
            {
                mean[j] /= members[k].Length;
            }

            var (classCovariance, shrink) = ShrunkCovariance(rows, p, members[k], mean, shrinkage);
            used[k] = shrink;
            double prior = (double)members[k].Length / n;
            for (int j = 0; j < covariance.Length; j++)
            {
                covariance[j] += prior * classCovariance[j];
            }
        }

        var weights = new double[classCount * p];
        var intercepts = new double[classCount];
        for (int k = 0; k < classCount; k++)
        {
            var w = Solve(covariance, means.AsSpan(k * p, p).ToArray(), p);
            w.CopyTo(weights, k * p);
            double quadratic = 0;
            for (int j = 0; j < p; j++)
            {
                quadratic += means[(k * p) + j] * w[j];
            }

            intercepts[k] = (-0.5 * quadratic) + Math.Log((double)members[k].Length / n);
        }

        return new LinearDiscriminant(p, weights, intercepts, used);
    }

    /// <summary>The covariance (1/n) of the given rows about <paramref name="mean"/>, shrunk as scikit-learn's <c>_cov(X, 'auto')</c> or by a fixed amount.</summary>
    private static (double[] Covariance, double Shrinkage) ShrunkCovariance(ReadOnlySpan<double> rows, int p, int[] members, ReadOnlySpan<double> mean, double? fixedShrinkage)
    {
        int n = members.Length;
        // Standardise (population standard deviation; constant features keep scale 1).
        var scale = new double[p];
        for (int j = 0; j < p; j++)
        {
            double ss = 0;
            foreach (int i in members)
            {
                double d = rows[(i * p) + j] - mean[j];
                ss += d * d;
            }

            double sd = Math.Sqrt(ss / n);
            scale[j] = sd > 0 ? sd : 1;
        }

        var z = new double[n * p];
        for (int r = 0; r < n; r++)
        {
            for (int j = 0; j < p; j++)
            {
                z[(r * p) + j] = (rows[(members[r] * p) + j] - mean[j]) / scale[j];
            }
        }

        var empirical = new double[p * p];
        for (int r = 0; r < n; r++)
        {
            var row = z.AsSpan(r * p, p);
            for (int a = 0; a < p; a++)
            {
                double va = row[a];
                var target = empirical.AsSpan(a * p, p);
                for (int b = a; b < p; b++)
                {
                    target[b] += va * row[b];
                }
            }
        }

        for (int a = 0; a < p; a++)
        {
            for (int b = a; b < p; b++)
            {
                empirical[(a * p) + b] /= n;
                empirical[(b * p) + a] = empirical[(a * p) + b];
            }
        }

        double trace = 0;
        for (int a = 0; a < p; a++)
        {
            trace += empirical[(a * p) + a];
        }

        double mu = trace / p;
        double shrinkage = fixedShrinkage ?? LedoitWolf(z, n, p, empirical, mu);
        var result = new double[p * p];
        for (int a = 0; a < p; a++)
        {
            for (int b = 0; b < p; b++)
            {
                double v = (1 - shrinkage) * empirical[(a * p) + b];
                if (a == b)
                {
                    v += shrinkage * mu;
                }

                result[(a * p) + b] = v * scale[a] * scale[b];
            }
        }

        return (result, shrinkage);
    }

    /// <summary>Ledoit–Wolf's optimal shrinkage intensity for centred data <paramref name="z"/> (n × p), as scikit-learn's <c>ledoit_wolf_shrinkage</c>.</summary>
    private static double LedoitWolf(double[] z, int n, int p, double[] empirical, double mu)
    {
        // β̂ = (1/(p·n)) · (Σᵢⱼ Σₖ zₖᵢ² zₖⱼ² / n − Σᵢⱼ S²ᵢⱼ), δ̂ = (Σᵢⱼ S²ᵢⱼ − 2μ tr S + p μ²) / p.
        var squares = new double[p];
        double beta = 0;
        for (int r = 0; r < n; r++)
        {
            double rowSum = 0;
            for (int j = 0; j < p; j++)
            {
                double v = z[(r * p) + j];
                squares[j] = v * v;
                rowSum += squares[j];
            }

            beta += rowSum * rowSum;
        }

        double frobenius = 0;
        foreach (double v in empirical)
        {
            frobenius += v * v;
        }

        double betaHat = ((beta / n) - frobenius) / (p * (double)n);
        double trace = mu * p;
        double delta = (frobenius - (2 * mu * trace) + (p * mu * mu)) / p;
        betaHat = Math.Min(betaHat, delta);
        return betaHat <= 0 || delta <= 0 ? 0 : betaHat / delta;
    }

    /// <summary>Solves A·x = b for a symmetric positive (semi-)definite A by Gaussian elimination with partial pivoting.</summary>
    private static double[] Solve(double[] a, double[] b, int p)
    {
        var m = (double[])a.Clone();
        var x = (double[])b.Clone();
        for (int col = 0; col < p; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < p; r++)
            {
                if (Math.Abs(m[(r * p) + col]) > Math.Abs(m[(pivot * p) + col]))
                {
                    pivot = r;
                }
            }

            if (Math.Abs(m[(pivot * p) + col]) < 1e-300)
            {
                throw new SingularCovarianceException("the pooled covariance is singular; use shrinkage or fewer features.");
            }

            if (pivot != col)
            {
                for (int c = 0; c < p; c++)
                {
                    (m[(col * p) + c], m[(pivot * p) + c]) = (m[(pivot * p) + c], m[(col * p) + c]);
                }

                (x[col], x[pivot]) = (x[pivot], x[col]);
            }

            double d = m[(col * p) + col];
            for (int r = col + 1; r < p; r++)
            {
                double factor = m[(r * p) + col] / d;
                if (factor == 0)
                {
                    continue;
                }

                for (int c = col; c < p; c++)
                {
                    m[(r * p) + c] -= factor * m[(col * p) + c];
                }

                x[r] -= factor * x[col];
            }
        }

        for (int r = p - 1; r >= 0; r--)
        {
            double v = x[r];
            for (int c = r + 1; c < p; c++)
            {
                v -= m[(r * p) + c] * x[c];
            }

            x[r] = v / m[(r * p) + r];
        }

        return x;
    }
}

/// <summary>
/// The data cannot fit the discriminant: its pooled covariance is singular (e.g. two epochs per class
/// and a Ledoit–Wolf intensity of 0). An <see cref="ArgumentException"/> as before, of its own type so
/// that a caller fitting on very few epochs can report it without catching every argument error.
/// </summary>
public sealed class SingularCovarianceException(string message) : ArgumentException(message);
