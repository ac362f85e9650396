using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Features;

/// <summary>How the tangent-space reference point is averaged.</summary>
public enum TangentSpaceMetric
{
    /// <summary>The Riemannian (affine-invariant, Karcher) mean, by fixed-point iteration.</summary>
    Riemann,

    /// <summary>The log-Euclidean mean expm(mean logm Cᵢ): one pass, close to the Riemannian mean.</summary>
    LogEuclid,
}

/// <summary>
/// The fitted state of the tangent-space map: the reference point P (a mean of source
/// covariances) and P^-1/2.
/// </summary>
/// <param name="ChannelCount">n.</param>
/// <param name="Metric">How P was averaged.</param>
/// <param name="Reference">P, n × n row-major, µV².</param>
/// <param name="InverseSqrtReference">P^-1/2, n × n row-major.</param>
/// <param name="Shrinkage">Shrinkage applied to every covariance before mapping.</param>
public sealed record TangentSpaceFit(int ChannelCount, TangentSpaceMetric Metric, double[] Reference, double[] InverseSqrtReference, double Shrinkage);

/// <summary>
/// Riemannian tangent space of covariance matrices (Barachant et al., "Classification of
/// covariance matrices using a Riemannian-based kernel for BCI applications", Neurocomputing
/// 112:172–178, 2013): each covariance C is mapped to S = logm(P^-1/2·C·P^-1/2) and vectorised as
/// its upper triangle, off-diagonal terms times √2 (so the Euclidean norm of the vector is the
/// Frobenius norm of S), as pyRiemann's <c>TangentSpace</c> does.
/// </summary>
public static class TangentSpace
{
    /// <summary>Fits the reference point on (aligned) source covariances; no labels.</summary>
    /// <param name="covariances">Centred covariances, n × n each.</param>
    /// <param name="channels">n.</param>
    /// <param name="metric">Mean to use.</param>
    /// <param name="shrinkage">Shrinkage towards a scaled identity in [0, 1), applied to each covariance (needed for rank-deficient data).</param>
    /// <param name="maxIterations">Iterations of the Riemannian mean.</param>
    /// <param name="tolerance">Stop when the Frobenius norm of the mean tangent vector falls below this.</param>
    public static TangentSpaceFit Fit(IReadOnlyList<double[]> covariances, int channels, TangentSpaceMetric metric = TangentSpaceMetric.Riemann, double shrinkage = 0, int maxIterations = 50, double tolerance = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(covariances);
        if (covariances.Count == 0)
        {
            throw new FitDataException("the tangent-space reference needs at least one covariance.");
        }

        int n = channels, nn = n * n;
        var eigen = new SymmetricEigen(n);
        var scratch = new double[nn];
        var shrunk = covariances.Select(c => EuclideanAlignment.Shrink(c, n, shrinkage)).ToArray();
        var mean = new double[nn];
        if (metric == TangentSpaceMetric.LogEuclid)
        {
            var log = new double[nn];
            foreach (var c in shrunk)
            {
                SafeFunction(eigen, c, Math.Log, log, scratch);
                for (int i = 0; i < nn; i++)
                {
                    mean[i] += log[i] / shrunk.Length;
                }
            }

            var exp = new double[nn];
            eigen.Decompose(mean);
            Matrices.FromEigen(eigen, Math.Exp, exp, scratch);
            mean = exp;
        }
        else
        {
            foreach (var c in shrunk)
            {
                for (int i = 0; i < nn; i++)
                {
                    mean[i] += c[i] / shrunk.Length;
                }
            }

            var sqrt = new double[nn];
            var invSqrt = new double[nn];
            var whitened = new double[nn];
            var log = new double[nn];
            var tangent = new double[nn];
            var step = new double[nn];
            double nu = 1.0, tau = double.MaxValue;
            for (int iteration = 0; iteration < maxIterations; iteration++)
            {
                SafeFunction(eigen, mean, Math.Sqrt, sqrt, scratch);
                Matrices.FromEigen(eigen, static x => 1 / Math.Sqrt(x), invSqrt, scratch);
                Array.Clear(tangent);
                foreach (var c in shrunk)
                {
                    Matrices.Congruence(invSqrt, c, whitened, scratch, n, n);
                    SafeFunction(eigen, whitened, Math.Log, log, scratch);
                    for (int i = 0; i < nn; i++)
                    {
                        tangent[i] += log[i] / shrunk.Length;
                    }
                }

                double criterion = Math.Sqrt(tangent.Sum(v => v * v));
                double h = nu * criterion;
                double stepSize = nu;
                eigen.Decompose(tangent);
                Matrices.FromEigen(eigen, x => Math.Exp(stepSize * x), step, scratch);
                Matrices.Congruence(sqrt, step, mean, scratch, n, n);
                if (criterion <= tolerance || nu <= tolerance)
                {
                    break;
                }

                if (h < tau)
                {
                    nu *= 0.95;
                    tau = h;
                }
                else
                {
                    nu *= 0.5;
                }
            }
        }

        var inverseSqrt = new double[nn];
        SafeFunction(eigen, mean, static x => 1 / Math.Sqrt(x), inverseSqrt, scratch);
        return new TangentSpaceFit(n, metric, mean, inverseSqrt, shrinkage);
    }

    /// <summary>f of a symmetric positive (semi-)definite matrix, with eigenvalues floored at 10⁻¹² of the largest so that log and inverse roots stay finite.</summary>
    internal static void SafeFunction(SymmetricEigen eigen, ReadOnlySpan<double> matrix, Func<double, double> f, Span<double> result, Span<double> scratch)
    {
        eigen.Decompose(matrix);
        int n = eigen.Size;
        double floor = Math.Max(eigen.Values[n - 1], 0) * 1e-12;
        if (floor <= 0)
        {
            throw new FitDataException("a covariance matrix is zero or negative definite (flat channels?).");
        }

        for (int i = 0; i < n; i++)
        {
            if (eigen.Values[i] < floor)
            {
                eigen.Values[i] = floor;
            }
        }

        Matrices.FromEigen(eigen, f, result, scratch);
    }
}

/// <summary>Tangent-space features: n(n+1)/2 values named <c>ts_Ci_Cj</c> (i ≤ j).</summary>
public sealed class TangentSpaceFeatures : IFeatureExtractor
{
    private readonly TangentSpaceFit _fit;
    private readonly SymmetricEigen _eigen;
    private readonly double[] _shrunk;
    private readonly double[] _whitened;
    private readonly double[] _log;
    private readonly double[] _scratch;

    /// <summary>Creates the extractor from a fit.</summary>
    /// <param name="fit">Reference point.</param>
    /// <param name="channels">Channel names (n of them).</param>
    public TangentSpaceFeatures(TangentSpaceFit fit, IReadOnlyList<string> channels)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Count != fit.ChannelCount)
        {
            throw new ArgumentException($"the tangent space was fitted on {fit.ChannelCount} channels, {channels.Count} names given.", nameof(channels));
        }

        _fit = fit;
        int n = fit.ChannelCount;
        _eigen = new SymmetricEigen(n);
        _shrunk = new double[n * n];
        _whitened = new double[n * n];
        _log = new double[n * n];
        _scratch = new double[n * n];
        var names = new List<string>();
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                names.Add($"ts_{channels[i]}_{channels[j]}");
            }
        }

        FeatureNames = names;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public void Extract(WindowContext window, Span<double> destination)
    {
        int n = _fit.ChannelCount;
        window.Covariance.AsSpan(0, n * n).CopyTo(_shrunk);
        if (_fit.Shrinkage > 0)
        {
            double trace = 0;
            for (int i = 0; i < n; i++)
            {
                trace += _shrunk[(i * n) + i];
            }

            for (int i = 0; i < n * n; i++)
            {
                _shrunk[i] *= 1 - _fit.Shrinkage;
            }

            for (int i = 0; i < n; i++)
            {
                _shrunk[(i * n) + i] += _fit.Shrinkage * trace / n;
            }
        }

        Matrices.Congruence(_fit.InverseSqrtReference, _shrunk, _whitened, _scratch, n, n);
        TangentSpace.SafeFunction(_eigen, _whitened, Math.Log, _log, _scratch);
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            destination[k++] = _log[(i * n) + i];
            for (int j = i + 1; j < n; j++)
            {
                destination[k++] = Math.Sqrt(2) * _log[(i * n) + j];
            }
        }
    }
}
