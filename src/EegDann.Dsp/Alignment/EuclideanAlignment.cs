using EegDann.Core;
using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Alignment;

/// <summary>Options of Euclidean alignment (physical meaning, no fitted values).</summary>
public sealed record EuclideanAlignmentOptions
{
    /// <summary>
    /// Shrinkage λ ∈ [0, 1) of the reference towards a scaled identity,
    /// R ← (1 − λ)·R + λ·(tr R / n)·I. Needed when the covariance is rank-deficient (e.g. after a
    /// common average reference). Default 0 (the paper's estimator).
    /// </summary>
    public double Shrinkage { get; init; }

    /// <summary>
    /// Streaming only: windows needed before the running reference is trusted (the warm-up). Until
    /// then <see cref="OnlineEuclideanAlignment.IsWarm"/> is false. Default 32 (2 s of windows at a
    /// 62.5 ms stride).
    /// </summary>
    public int WarmupWindows { get; init; } = 32;

    /// <summary>Streaming only: recompute R^-1/2 every this many windows (≥ 1). Default 16 (1 s at a 62.5 ms stride).</summary>
    public int UpdateEveryWindows { get; init; } = 16;

    /// <summary>Checks the values, listing every problem.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!(Shrinkage >= 0 && Shrinkage < 1))
        {
            problems.Add($"shrinkage must be in [0, 1), got {Shrinkage}");
        }

        if (WarmupWindows < 1)
        {
            problems.Add($"warmup_windows must be ≥ 1, got {WarmupWindows}");
        }

        if (UpdateEveryWindows < 1)
        {
            problems.Add($"update_every_windows must be ≥ 1, got {UpdateEveryWindows}");
        }

        return problems;
    }
}

/// <summary>
/// The fitted state of Euclidean alignment for one subject: the reference R (mean spatial second
/// moment of the subject's epochs) and the whitening matrix R^-1/2 applied to every epoch. After
/// a filter bank every band is aligned on its own: R and R^-1/2 then hold one n × n block per
/// band, in band order.
/// </summary>
/// <param name="Subject">Whose data R was estimated from.</param>
/// <param name="ChannelCount">n: channels per band.</param>
/// <param name="EpochCount">Epochs (or windows) averaged into R.</param>
/// <param name="Reference">R, <paramref name="Bands"/> blocks of n × n row-major, µV².</param>
/// <param name="Whitening">R^-1/2, <paramref name="Bands"/> blocks of n × n row-major, 1/µV.</param>
/// <param name="Bands">Bands of a filter bank aligned separately (1 without a filter bank).</param>
public sealed record AlignmentFit(string Subject, int ChannelCount, long EpochCount, double[] Reference, double[] Whitening, int Bands = 1)
{
    /// <summary>R^-1/2 of band <paramref name="band"/> (n × n, row-major).</summary>
    public ReadOnlySpan<double> BandWhitening(int band) => Whitening.AsSpan(band * ChannelCount * ChannelCount, ChannelCount * ChannelCount);
}

/// <summary>
/// Euclidean alignment (He &amp; Wu 2019): per subject, R = mean over the subject's epochs of
/// X·Xᵀ/n; each epoch becomes R^-1/2·X, so that the subject's aligned epochs have mean
/// second moment I.
/// </summary>
/// <remarks>
/// He H., Wu D. "Transfer Learning for Brain–Computer Interfaces: A Euclidean Space Data Alignment
/// Approach." IEEE Trans. Biomed. Eng. 67(2):399–410, 2020 (arXiv 2019). The fit uses no labels:
/// source subjects are aligned with their own R, the new subject with R from its unlabeled data.
/// </remarks>
public static class EuclideanAlignment
{
    /// <summary>Fits R and R^-1/2 from a subject's epochs (labels are not used).</summary>
    /// <param name="subject">Whose epochs they are.</param>
    /// <param name="epochs">
    /// channel-major windows, each <paramref name="bands"/> × <paramref name="channels"/> × samples
    /// (band-major after a filter bank; lengths may differ between epochs).
    /// </param>
    /// <param name="channels">n: channels per band.</param>
    /// <param name="options">Shrinkage.</param>
    /// <param name="bands">Bands aligned separately (1 without a filter bank).</param>
    /// <exception cref="ArgumentException">When there are no epochs or a reference is not positive definite.</exception>
    public static AlignmentFit Fit(string subject, IReadOnlyList<double[]> epochs, int channels, EuclideanAlignmentOptions options, int bands = 1)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        if (epochs.Count == 0)
        {
            throw new FitDataException($"Euclidean alignment of subject '{subject}' needs at least one epoch.");
        }

        int block = channels * channels;
        var sum = new double[bands * block];
        foreach (var epoch in epochs)
        {
            int samples = epoch.Length / (channels * bands);
            for (int b = 0; b < bands; b++)
            {
                var m = SpatialCovariance.SecondMoment(epoch.AsSpan(b * channels * samples, channels * samples), channels, samples);
                for (int i = 0; i < block; i++)
                {
                    sum[(b * block) + i] += m[i];
                }
            }
        }

        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] /= epochs.Count;
        }

        return FromReference(subject, sum, epochs.Count, channels, options, bands);
    }

    /// <summary>Builds the fit from a reference already averaged (R, one n × n block per band), applying shrinkage and computing R^-1/2.</summary>
    public static AlignmentFit FromReference(string subject, double[] reference, long count, int channels, EuclideanAlignmentOptions options, int bands = 1)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(options);
        int block = channels * channels;
        if (reference.Length != bands * block)
        {
            throw new ArgumentException($"a reference of {bands} band(s) × {channels} channels needs {bands * block} values, got {reference.Length}.", nameof(reference));
        }

        var r = (double[])reference.Clone();
        var w = new double[bands * block];
        var eigen = new SymmetricEigen(channels);
        var scratch = new double[block];
        for (int b = 0; b < bands; b++)
        {
            ShrinkInPlace(r.AsSpan(b * block, block), channels, options.Shrinkage);
            InverseSquareRoot(r.AsSpan(b * block, block), channels, w.AsSpan(b * block, block), eigen, scratch, bands == 1 ? subject : $"{subject}, band {b + 1}");
        }

        return new AlignmentFit(subject, channels, count, r, w, bands);
    }

    /// <summary>Aligns one window: returns R^-1/2·X for every band (channel-major, same shape).</summary>
    public static double[] Apply(AlignmentFit fit, double[] window)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(window);
        int n = fit.ChannelCount, samples = window.Length / (n * fit.Bands), size = n * samples;
        var result = new double[window.Length];
        for (int b = 0; b < fit.Bands; b++)
        {
            Matrices.Multiply(fit.BandWhitening(b), window.AsSpan(b * size, size), result.AsSpan(b * size, size), n, n, samples);
        }

        return result;
    }

    internal static double[] Shrink(double[] reference, int n, double shrinkage)
    {
        var r = (double[])reference.Clone();
        ShrinkInPlace(r, n, shrinkage);
        return r;
    }

    internal static void ShrinkInPlace(Span<double> r, int n, double shrinkage)
    {
        if (shrinkage > 0)
        {
            double trace = 0;
            for (int i = 0; i < n; i++)
            {
                trace += r[(i * n) + i];
            }

            for (int i = 0; i < r.Length; i++)
            {
                r[i] *= 1 - shrinkage;
            }

            for (int i = 0; i < n; i++)
            {
                r[(i * n) + i] += shrinkage * trace / n;
            }
        }
    }

    internal static void InverseSquareRoot(ReadOnlySpan<double> r, int n, Span<double> result, SymmetricEigen eigen, Span<double> scratch, string subject)
    {
        eigen.Decompose(r);
        InverseSquareRootOfDecomposed(eigen, n, result, scratch, subject);
    }

    /// <summary>R^-1/2 = V·diag(λ^-1/2)·Vᵀ from <paramref name="eigen"/>'s decomposition of R, refused when R is not positive definite.</summary>
    internal static void InverseSquareRootOfDecomposed(SymmetricEigen eigen, int n, Span<double> result, Span<double> scratch, string subject)
    {
        double largest = eigen.Values[n - 1];
        double smallest = eigen.Values[0];
        if (!(largest > 0) || smallest <= largest * 1e-12)
        {
            throw new FitDataException(
                $"the alignment reference of subject '{subject}' is not positive definite (eigenvalues {smallest:G3} … {largest:G3}); " +
                "the channels are linearly dependent (e.g. after a common average reference) or flat: set a shrinkage > 0.");
        }

        Matrices.FromEigen(eigen, static x => 1 / Math.Sqrt(x), result, scratch);
    }
}
