namespace EegDann.Model;

/// <summary>A fitted two-class logistic regression: P(class 1 | x) = σ(w·x + b).</summary>
/// <param name="FeatureCount">Features per sample.</param>
/// <param name="Weights">w, one per feature.</param>
/// <param name="Intercept">b (not penalised).</param>
/// <param name="Iterations">Newton iterations taken.</param>
public sealed record LogisticModel(int FeatureCount, double[] Weights, double Intercept, int Iterations)
{
    /// <summary>w·x + b of one sample.</summary>
    public double Decision(ReadOnlySpan<double> sample)
    {
        if (sample.Length != FeatureCount)
        {
            throw new ArgumentException($"the logistic regression reads {FeatureCount} features, got {sample.Length}.", nameof(sample));
        }

        double v = Intercept;
        for (int j = 0; j < FeatureCount; j++)
        {
            v += Weights[j] * sample[j];
        }

        return v;
    }

    /// <summary>The predicted class (0 or 1) of every sample (rows of <paramref name="rows"/>, row-major); 1 when w·x + b &gt; 0.</summary>
    public int[] Predict(ReadOnlySpan<double> rows)
    {
        int count = rows.Length / FeatureCount;
        var predicted = new int[count];
        for (int i = 0; i < count; i++)
        {
            predicted[i] = Decision(rows.Slice(i * FeatureCount, FeatureCount)) > 0 ? 1 : 0;
        }

        return predicted;
    }
}

/// <summary>
/// L2-regularised two-class logistic regression, the objective of scikit-learn's
/// <c>LogisticRegression(penalty='l2', C=C)</c>: minimise ½‖w‖² + C·Σᵢ ln(1 + exp(−yᵢ(w·xᵢ + b)))
/// with yᵢ = ±1 and the intercept unpenalised, solved to convergence by Newton's method.
/// </summary>
/// <remarks>
/// With many more features than samples (tangent-space vectors: 2080 features from 64 channels,
/// a few hundred epochs) each Newton step is solved in sample space: with D = diag(pᵢ(1 − pᵢ)) and
/// λ = 1/C, (λI + XᵀDX)⁻¹ = λ⁻¹[I − XᵀD^½(λI + D^½XXᵀD^½)⁻¹D^½X] (Woodbury, an n × n Cholesky),
/// and the unpenalised intercept by the Schur complement. The Gram matrix XXᵀ is formed once. A
/// backtracking line search keeps every step a descent; iteration stops when the gradient's
/// largest component is below 10⁻¹⁰ times (1 + C·n).
/// </remarks>
public static class LogisticRegression
{
    /// <summary>Fits the model.</summary>
    /// <param name="rows">Samples × features, row-major.</param>
    /// <param name="featureCount">Features per sample.</param>
    /// <param name="labels">0 or 1 per sample; both classes must occur.</param>
    /// <param name="c">Inverse regularisation strength (scikit-learn's C), &gt; 0.</param>
    /// <param name="maxIterations">Newton iterations at most.</param>
    /// <exception cref="ArgumentException">When the shapes disagree, a label is not 0/1, a class is missing or a value is not finite.</exception>
    public static LogisticModel Fit(ReadOnlySpan<double> rows, int featureCount, IReadOnlyList<int> labels, double c = 1.0, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        if (!(c > 0) || double.IsInfinity(c))
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, "C must be a positive finite number.");
        }

        int n = labels.Count, d = featureCount;
        if (rows.Length != n * d)
        {
            throw new ArgumentException($"{labels.Count} labels need {n * d} values ({d} features each), got {rows.Length}.", nameof(rows));
        }

        if (labels.Any(y => y is not (0 or 1)) || !labels.Contains(0) || !labels.Contains(1))
        {
            throw new ArgumentException("logistic regression needs labels 0 and 1, both present.", nameof(labels));
        }

        foreach (double v in rows)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("a feature value is not finite.", nameof(rows));
            }
        }

        var x = rows.ToArray();
        var y = labels.Select(l => l == 1 ? 1.0 : -1.0).ToArray();
        double lambda = 1.0 / c;
        var gram = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var xi = x.AsSpan(i * d, d);
            for (int j = 0; j <= i; j++)
            {
                double v = Dot(xi, x.AsSpan(j * d, d));
                gram[(i * n) + j] = v;
                gram[(j * n) + i] = v;
            }
        }

        var w = new double[d];
        double b = 0;
        var margin = new double[n];   // zᵢ = w·xᵢ + b
        var r = new double[n];        // ∂loss/∂zᵢ (times C)
        var dd = new double[n];       // C·pᵢ(1 − pᵢ)
        var gw = new double[d];
        var m = new double[n * n];
        var dw = new double[d];
        var hw = new double[d];
        var trialW = new double[d];
        var trialMargin = new double[n];
        double objective = Objective(w, margin, y, lambda);
        double tolerance = 1e-10 * (1 + (c * n));
        int iteration = 0;
        for (; iteration < maxIterations; iteration++)
        {
            // Gradient of λ/2‖w‖² + Σ loss (the objective divided by C).
            double gb = 0;
            for (int i = 0; i < n; i++)
            {
                double p = Sigmoid(y[i] * margin[i]);      // P(correct)
                r[i] = -y[i] * (1 - p);
                dd[i] = p * (1 - p);
                gb += r[i];
            }

            for (int j = 0; j < d; j++)
            {
                gw[j] = lambda * w[j];
            }

            for (int i = 0; i < n; i++)
            {
                AddScaled(gw, x.AsSpan(i * d, d), r[i]);
            }

            double largest = Math.Abs(gb);
            foreach (double g in gw)
            {
                largest = Math.Max(largest, Math.Abs(g));
            }

            if (largest * c < tolerance)
            {
                break;
            }

            // M = λI + D^½ K D^½, Cholesky.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    m[(i * n) + j] = Math.Sqrt(dd[i] * dd[j]) * gram[(i * n) + j];
                }

                m[(i * n) + i] += lambda;
            }

            Cholesky(m, n);
            // h = XᵀD1; Hw⁻¹h and Hw⁻¹g, then the intercept by the Schur complement.
            Array.Clear(hw);
            for (int i = 0; i < n; i++)
            {
                AddScaled(hw, x.AsSpan(i * d, d), dd[i]);
            }

            double hbb = dd.Sum();
            var hInvH = SolveHw(hw, x, dd, m, n, d, lambda);
            var hInvG = SolveHw(gw, x, dd, m, n, d, lambda);
            double denominator = hbb - Dot(hw, hInvH);
            double stepB = Math.Abs(denominator) > 1e-300 ? (gb - Dot(hw, hInvG)) / denominator : 0;
            for (int j = 0; j < d; j++)
            {
                dw[j] = hInvG[j] - (hInvH[j] * stepB);
            }

            // Backtracking line search on the objective along −(Δw, Δb).
            double directional = -(Dot(gw, dw) + (gb * stepB));
            double t = 1;
            double trialObjective = double.PositiveInfinity;
            for (int halving = 0; halving < 60; halving++)
            {
                for (int j = 0; j < d; j++)
                {
                    trialW[j] = w[j] - (t * dw[j]);
                }

                double trialB = b - (t * stepB);
                for (int i = 0; i < n; i++)
                {
                    trialMargin[i] = Dot(trialW, x.AsSpan(i * d, d)) + trialB;
                }

                trialObjective = Objective(trialW, trialMargin, y, lambda);
                if (trialObjective <= objective + (1e-4 * t * directional))
                {
                    break;
                }

                t /= 2;
            }

            if (!(trialObjective < objective))
            {
                break;
            }

            Array.Copy(trialW, w, d);
            b -= t * stepB;
            Array.Copy(trialMargin, margin, n);
            objective = trialObjective;
        }

        return new LogisticModel(d, w, b, iteration);
    }

    /// <summary>(λI + XᵀDX)⁻¹v = λ⁻¹[v − XᵀD^½ M⁻¹ D^½ X v], M = λI + D^½XXᵀD^½ given as its Cholesky factor.</summary>
    private static double[] SolveHw(double[] v, double[] x, double[] dd, double[] choleskyM, int n, int d, double lambda)
    {
        var u = new double[n];
        for (int i = 0; i < n; i++)
        {
            u[i] = Math.Sqrt(dd[i]) * Dot(x.AsSpan(i * d, d), v);
        }

        CholeskySolve(choleskyM, u, n);
        var result = (double[])v.Clone();
        for (int i = 0; i < n; i++)
        {
            AddScaled(result, x.AsSpan(i * d, d), -Math.Sqrt(dd[i]) * u[i]);
        }

        for (int j = 0; j < d; j++)
        {
            result[j] /= lambda;
        }

        return result;
    }

    /// <summary>λ/2‖w‖² + Σ ln(1 + exp(−yᵢzᵢ)) (the scikit-learn objective divided by C).</summary>
    private static double Objective(double[] w, double[] margin, double[] y, double lambda)
    {
        double sum = 0.5 * lambda * Dot(w, w);
        for (int i = 0; i < margin.Length; i++)
        {
            sum += LogOnePlusExp(-y[i] * margin[i]);
        }

        return sum;
    }

    private static double LogOnePlusExp(double z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>In place: the lower Cholesky factor L of a symmetric positive definite matrix (row-major; the upper part is left as is).</summary>
    private static void Cholesky(double[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double s = a[(j * n) + j];
            for (int k = 0; k < j; k++)
            {
                s -= a[(j * n) + k] * a[(j * n) + k];
            }

            if (!(s > 0))
            {
                throw new InvalidOperationException("the Newton system is not positive definite.");
            }

            double l = Math.Sqrt(s);
            a[(j * n) + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double v = a[(i * n) + j];
                for (int k = 0; k < j; k++)
                {
                    v -= a[(i * n) + k] * a[(j * n) + k];
                }

                a[(i * n) + j] = v / l;
            }
        }
    }

    /// <summary>In place: solves L·Lᵀ·x = b.</summary>
    private static void CholeskySolve(double[] l, double[] b, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double v = b[i];
            for (int k = 0; k < i; k++)
            {
                v -= l[(i * n) + k] * b[k];
            }

            b[i] = v / l[(i * n) + i];
        }

        for (int i = n - 1; i >= 0; i--)
        {
            double v = b[i];
            for (int k = i + 1; k < n; k++)
            {
                v -= l[(k * n) + i] * b[k];
            }

            b[i] = v / l[(i * n) + i];
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        // Four partial sums in a fixed order: fast, and the same result on every machine.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i0 = 0;
        for (; i0 + 4 <= a.Length; i0 += 4)
        {
            s0 += a[i0] * b[i0];
            s1 += a[i0 + 1] * b[i0 + 1];
            s2 += a[i0 + 2] * b[i0 + 2];
            s3 += a[i0 + 3] * b[i0 + 3];
        }

        double s = (s0 + s1) + (s2 + s3);
        for (int i = i0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    private static void AddScaled(Span<double> destination, ReadOnlySpan<double> source, double factor)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] += factor * source[i];
        }
    }
}
