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
/// moment of the subject's epochs) and the whitening matrix R^-1/2 applied to every epoch.
/// </summary>
/// <param name="Subject">Whose data R was estimated from.</param>
/// <param name="ChannelCount">n.</param>
/// <param name="EpochCount">Epochs (or windows) averaged into R.</param>
/// <param name="Reference">R, n × n row-major, µV².</param>
/// <param name="Whitening">R^-1/2, n × n row-major, 1/µV.</param>
public sealed record AlignmentFit(string Subject, int ChannelCount, long EpochCount, double[] Reference, double[] Whitening);

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
    /// <param name="epochs">channel-major windows, each <paramref name="channels"/> × samples (lengths may differ).</param>
    /// <param name="channels">n.</param>
    /// <param name="options">Shrinkage.</param>
    /// <exception cref="ArgumentException">When there are no epochs or the reference is not positive definite.</exception>
    public static AlignmentFit Fit(string subject, IReadOnlyList<double[]> epochs, int channels, EuclideanAlignmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(options);
        if (epochs.Count == 0)
        {
            throw new ArgumentException($"Euclidean alignment of subject '{subject}' needs at least one epoch.", nameof(epochs));
        }

        var sum = new double[channels * channels];
        foreach (var epoch in epochs)
        {
            int samples = epoch.Length / channels;
            var m = SpatialCovariance.SecondMoment(epoch, channels, samples);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += m[i];
            }
        }

        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] /= epochs.Count;
        }

        return FromReference(subject, sum, epochs.Count, channels, options);
    }

    /// <summary>Builds the fit from a reference already averaged (R), applying shrinkage and computing R^-1/2.</summary>
    public static AlignmentFit FromReference(string subject, double[] reference, long count, int channels, EuclideanAlignmentOptions options)
    {
        var r = Shrink(reference, channels, options.Shrinkage);
        var w = new double[channels * channels];
        InverseSquareRoot(r, channels, w, new SymmetricEigen(channels), new double[channels * channels], subject);
        return new AlignmentFit(subject, channels, count, r, w);
    }

    /// <summary>Aligns one window: returns R^-1/2·X (channel-major, same shape).</summary>
    public static double[] Apply(AlignmentFit fit, double[] window)
    {
        ArgumentNullException.ThrowIfNull(fit);
        int n = fit.ChannelCount, samples = window.Length / n;
        var result = new double[window.Length];
        Matrices.Multiply(fit.Whitening, window, result, n, n, samples);
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
        double largest = eigen.Values[n - 1];
        double smallest = eigen.Values[0];
        if (!(largest > 0) || smallest <= largest * 1e-12)
        {
            throw new ArgumentException(
                $"the alignment reference of subject '{subject}' is not positive definite (eigenvalues {smallest:G3} … {largest:G3}); " +
                "the channels are linearly dependent (e.g. after a common average reference) or flat: set a shrinkage > 0.");
        }

        Matrices.FromEigen(eigen, static x => 1 / Math.Sqrt(x), result, scratch);
    }
}
