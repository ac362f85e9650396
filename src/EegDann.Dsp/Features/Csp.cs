using EegDann.Core;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Features;

/// <summary>
/// The fitted state of common spatial patterns: spatial filters (rows, each n channel weights)
/// ordered by how far their eigenvalue is from 0.5, i.e. how discriminative they are. With more
/// than two classes (one-vs-rest) the rows are k filters per class, class by class in name order.
/// </summary>
/// <param name="ChannelCount">n.</param>
/// <param name="Classes">The class names in name order (two classes: λ → 1 favours the first; more: filters of class i contrast it with the pooled others).</param>
/// <param name="Filters">k × n row-major (N·k × n for N &gt; 2 classes); wᵀ(Σ₁ + Σ₂)w = 1 for each row w (Σ₂ the pooled others for N &gt; 2).</param>
/// <param name="Eigenvalues">λ of each filter: wᵀΣ₁w / wᵀ(Σ₁ + Σ₂)w.</param>
public sealed record CspFit(int ChannelCount, IReadOnlyList<string> Classes, double[] Filters, double[] Eigenvalues)
{
    /// <summary>Number of filters k.</summary>
    public int ComponentCount => Eigenvalues.Length;
}

/// <summary>
/// Common spatial patterns for two classes (Koles 1991; Ramoser, Müller &amp; Pfurtscheller 2000),
/// fitted on labeled source epochs: Σ_c = mean of the class's (aligned) epoch covariances, then the
/// generalised eigenproblem Σ₁w = λ(Σ₁ + Σ₂)w; the k filters with |λ − 0.5| largest are kept, as
/// MNE-Python's <c>CSP</c> orders them. More than two classes: one-vs-rest (Dornhege et al. 2004),
/// for each class (in name order) the same two-class problem of that class against the pooled
/// others (the mean covariance over all other classes' epochs), k filters each, N·k in all; two
/// classes keep the two-class path (one-vs-rest of two classes gives the same filters twice).
/// </summary>
public static class Csp
{
    /// <summary>Fits the filters.</summary>
    /// <param name="covariances">One centred covariance (n × n) per epoch.</param>
    /// <param name="labels">Each epoch's class name; at least two distinct classes (more: one-vs-rest, k filters per class).</param>
    /// <param name="channels">n.</param>
    /// <param name="components">k, 1..n.</param>
    /// <param name="regularization">Shrinkage of each class covariance towards a scaled identity, in [0, 1).</param>
    /// <exception cref="ArgumentException">When there are fewer than two classes or the covariances are singular.</exception>
    public static CspFit Fit(IReadOnlyList<double[]> covariances, IReadOnlyList<string> labels, int channels, int components, double regularization = 0)
    {
        ArgumentNullException.ThrowIfNull(covariances);
        ArgumentNullException.ThrowIfNull(labels);
        if (covariances.Count != labels.Count)
        {
            throw new ArgumentException($"{covariances.Count} covariances but {labels.Count} labels.", nameof(labels));
        }

        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new FitDataException($"CSP needs at least two classes, the labeled epochs have {classes.Length} ({string.Join(", ", classes)}).");
        }

        if (components < 1 || components > channels)
        {
            throw new ArgumentOutOfRangeException(nameof(components), components, $"CSP components must be 1..{channels}.");
        }

        int n = channels;
        var sigma = classes.Select(_ => new double[n * n]).ToArray();
        var counts = new int[classes.Length];
        for (int i = 0; i < covariances.Count; i++)
        {
            int k = Array.IndexOf(classes, labels[i]);
            counts[k]++;
            for (int j = 0; j < n * n; j++)
            {
                sigma[k][j] += covariances[i][j];
            }
        }

        for (int k = 0; k < classes.Length; k++)
        {
            for (int j = 0; j < n * n; j++)
            {
                sigma[k][j] /= counts[k];
            }
        }

        return classes.Length == 2
            ? FitFromClassMeans(sigma[0], sigma[1], classes, n, components, regularization)
            : FitOneVsRest(sigma, counts, classes, n, components, regularization);
    }

    /// <summary>
    /// One-vs-rest CSP for N ≥ 3 classes from each class's mean covariance and epoch count: for each
    /// class, the two-class fit of that class against the pooled others (Σ_rest = Σ_{j≠i} count_j·Σ_j / Σ_{j≠i} count_j),
    /// k filters per class, concatenated class by class.
    /// </summary>
    /// <param name="means">Mean covariance (n × n) per class, classes in name order.</param>
    /// <param name="counts">Epochs per class (the pooling weights).</param>
    /// <param name="classes">The class names, in that order (at least three).</param>
    /// <param name="channels">n.</param>
    /// <param name="components">k per class, 1..n.</param>
    /// <param name="regularization">Shrinkage of each covariance towards a scaled identity, in [0, 1).</param>
    /// <exception cref="ArgumentException">When fewer than three classes are given, a class has no epochs or the covariances are singular.</exception>
    public static CspFit FitOneVsRest(IReadOnlyList<double[]> means, IReadOnlyList<int> counts, IReadOnlyList<string> classes, int channels, int components, double regularization = 0)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(classes);
        int n = channels, classCount = classes.Count;
        if (classCount < 3 || means.Count != classCount || counts.Count != classCount || means.Any(m => m.Length != n * n))
        {
            throw new ArgumentException($"one-vs-rest CSP needs at least three classes, each with an {n} × {n} mean covariance and a count.");
        }

        if (counts.Any(c => c <= 0))
        {
            throw new FitDataException($"one-vs-rest CSP needs epochs of every class; {string.Join(", ", classes.Where((_, i) => counts[i] <= 0))} has none.");
        }

        var filters = new double[classCount * components * n];
        var values = new double[classCount * components];
        var rest = new double[n * n];
        for (int c = 0; c < classCount; c++)
        {
            Array.Clear(rest);
            double total = 0;
            for (int j = 0; j < classCount; j++)
            {
                if (j == c)
                {
                    continue;
                }

                total += counts[j];
                for (int i = 0; i < n * n; i++)
                {
                    rest[i] += counts[j] * means[j][i];
                }
            }

            for (int i = 0; i < n * n; i++)
            {
                rest[i] /= total;
            }

            var fit = FitFromClassMeans(means[c], rest, [classes[c], "rest"], n, components, regularization);
            fit.Filters.CopyTo(filters, c * components * n);
            fit.Eigenvalues.CopyTo(values, c * components);
        }

        return new CspFit(n, classes.ToArray(), filters, values);
    }

    /// <summary>
    /// Fits the filters from the two classes' mean covariances (what <see cref="Fit"/> computes from
    /// the epochs): for callers that keep running sums per class instead of every epoch's covariance.
    /// </summary>
    /// <param name="first">Mean covariance (n × n) of the first class (by name order).</param>
    /// <param name="second">Mean covariance of the second class.</param>
    /// <param name="classes">The two class names, in that order.</param>
    /// <param name="channels">n.</param>
    /// <param name="components">k, 1..n.</param>
    /// <param name="regularization">Shrinkage of each class covariance towards a scaled identity, in [0, 1).</param>
    /// <exception cref="ArgumentException">When the covariances are singular.</exception>
    public static CspFit FitFromClassMeans(double[] first, double[] second, IReadOnlyList<string> classes, int channels, int components, double regularization = 0)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(classes);
        int n = channels;
        if (first.Length != n * n || second.Length != n * n || classes.Count != 2)
        {
            throw new ArgumentException($"CSP needs two {n} × {n} class covariances and two class names.");
        }

        if (components < 1 || components > channels)
        {
            throw new ArgumentOutOfRangeException(nameof(components), components, $"CSP components must be 1..{channels}.");
        }

        var sigma = new[] { (double[])first.Clone(), (double[])second.Clone() };
        for (int k = 0; k < 2; k++)
        {
            if (regularization > 0)
            {
                double trace = 0;
                for (int i = 0; i < n; i++)
                {
                    trace += sigma[k][(i * n) + i];
                }

                for (int j = 0; j < n * n; j++)
                {
                    sigma[k][j] *= 1 - regularization;
                }

                for (int i = 0; i < n; i++)
                {
                    sigma[k][(i * n) + i] += regularization * trace / n;
                }
            }
        }
        var composite = new double[n * n];
        for (int j = 0; j < n * n; j++)
        {
            composite[j] = sigma[0][j] + sigma[1][j];
        }

        // Whitening P = (Σ₁ + Σ₂)^-1/2, then the eigenvectors U of P·Σ₁·P: filters = (P·U)ᵀ.
        var eigen = new SymmetricEigen(n);
        var scratch = new double[n * n];
        var p = new double[n * n];
        eigen.Decompose(composite);
        if (!(eigen.Values[0] > eigen.Values[n - 1] * 1e-12))
        {
            throw new FitDataException("the class covariances are singular (linearly dependent channels, e.g. after a common average reference); set a CSP regularization > 0.");
        }

        Matrices.FromEigen(eigen, static x => 1 / Math.Sqrt(x), p, scratch);
        var whitened = new double[n * n];
        Matrices.Congruence(p, sigma[0], whitened, scratch, n, n);
        eigen.Decompose(whitened);
        var order = Enumerable.Range(0, n).OrderByDescending(i => Math.Abs(eigen.Values[i] - 0.5)).Take(components).ToArray();
        var filters = new double[components * n];
        var values = new double[components];
        for (int r = 0; r < components; r++)
        {
            int col = order[r];
            values[r] = eigen.Values[col];
            for (int ch = 0; ch < n; ch++)
            {
                // (P·U)[ch, col] = Σ_m P[ch, m]·U[m, col]
                double sum = 0;
                for (int m = 0; m < n; m++)
                {
                    sum += p[(ch * n) + m] * eigen.Vectors[(m * n) + col];
                }

                filters[(r * n) + ch] = sum;
            }
        }

        return new CspFit(n, classes.ToArray(), filters, values);
    }
}

/// <summary>CSP features: ln of the variance of each spatially filtered component, ln(wᵀΣw) (µV²), named <c>csp_1</c> … <c>csp_k</c> (… <c>csp_Nk</c> one-vs-rest).</summary>
public sealed class CspFeatures : IFeatureExtractor
{
    private readonly CspFit _fit;
    private readonly double[] _temp;

    /// <summary>Creates the extractor from a fit.</summary>
    public CspFeatures(CspFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        _fit = fit;
        _temp = new double[fit.ChannelCount];
        FeatureNames = Enumerable.Range(1, fit.ComponentCount).Select(k => $"csp_{k}").ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public void Extract(WindowContext window, Span<double> destination)
    {
        int n = _fit.ChannelCount;
        if (window.Channels != n)
        {
            throw new ArgumentException($"CSP was fitted on {n} channels, the window has {window.Channels}.", nameof(window));
        }

        var cov = window.Covariance;
        for (int r = 0; r < _fit.ComponentCount; r++)
        {
            var w = _fit.Filters.AsSpan(r * n, n);
            for (int i = 0; i < n; i++)
            {
                _temp[i] = Matrices.Dot(cov.AsSpan(i * n, n), w);
            }

            destination[r] = Math.Log(Math.Max(Matrices.Dot(w, _temp), LogVarianceFeatures.VarianceFloor));
        }
    }
}
