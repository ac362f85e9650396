using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Features;

/// <summary>
/// The fitted state of common spatial patterns: spatial filters (rows, each n channel weights)
/// ordered by how far their eigenvalue is from 0.5, i.e. how discriminative they are.
/// </summary>
/// <param name="ChannelCount">n.</param>
/// <param name="Classes">The two class names, in the order of the eigenvalue (λ → 1 favours the first).</param>
/// <param name="Filters">k × n row-major; wᵀ(Σ₁ + Σ₂)w = 1 for each row w.</param>
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
/// MNE-Python's <c>CSP</c> orders them.
/// </summary>
public static class Csp
{
    /// <summary>Fits the filters.</summary>
    /// <param name="covariances">One centred covariance (n × n) per epoch.</param>
    /// <param name="labels">Each epoch's class name; exactly two distinct classes.</param>
    /// <param name="channels">n.</param>
    /// <param name="components">k, 1..n.</param>
    /// <param name="regularization">Shrinkage of each class covariance towards a scaled identity, in [0, 1).</param>
    /// <exception cref="ArgumentException">When there are not exactly two classes or the covariances are singular.</exception>
    public static CspFit Fit(IReadOnlyList<double[]> covariances, IReadOnlyList<string> labels, int channels, int components, double regularization = 0)
    {
        ArgumentNullException.ThrowIfNull(covariances);
        ArgumentNullException.ThrowIfNull(labels);
        if (covariances.Count != labels.Count)
        {
            throw new ArgumentException($"{covariances.Count} covariances but {labels.Count} labels.", nameof(labels));
        }

        var classes = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length != 2)
        {
            throw new ArgumentException($"CSP needs exactly two classes, the labeled epochs have {classes.Length} ({string.Join(", ", classes)}).", nameof(labels));
        }

        if (components < 1 || components > channels)
        {
            throw new ArgumentOutOfRangeException(nameof(components), components, $"CSP components must be 1..{channels}.");
        }

        int n = channels;
        var sigma = new[] { new double[n * n], new double[n * n] };
        var counts = new int[2];
        for (int i = 0; i < covariances.Count; i++)
        {
            int k = labels[i] == classes[0] ? 0 : 1;
            counts[k]++;
            for (int j = 0; j < n * n; j++)
            {
                sigma[k][j] += covariances[i][j];
            }
        }

        for (int k = 0; k < 2; k++)
        {
            for (int j = 0; j < n * n; j++)
            {
                sigma[k][j] /= counts[k];
            }
        }

        return FitFromClassMeans(sigma[0], sigma[1], classes, n, components, regularization);
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
            throw new ArgumentException("the class covariances are singular (linearly dependent channels, e.g. after a common average reference); set a CSP regularization > 0.");
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

/// <summary>CSP features: ln of the variance of each spatially filtered component, ln(wᵀΣw) (µV²), named <c>csp_1</c> … <c>csp_k</c>.</summary>
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
