namespace EegDann.Model;

/// <summary>The two-blob toy problem: labeled source and (for scoring only) labeled target points.</summary>
/// <param name="Source">Source points, <c>[x, y]</c> per sample.</param>
/// <param name="SourceLabels">Source classes (0, 1).</param>
/// <param name="Target">Target points.</param>
/// <param name="TargetLabels">Target classes — never used for training, only to score.</param>
public sealed record BlobsData(SampleMatrix Source, int[] SourceLabels, SampleMatrix Target, int[] TargetLabels);

/// <summary>
/// The article's toy domain-adaptation problem, drawn as the Python reference
/// (../shared/peers/dann_reference.py, <c>blobs</c>) draws it: per domain, scikit-learn's
/// <c>make_blobs(n_samples=500, centers=[(−1, 0), (1, 0)], cluster_std=0.35)</c> — two Gaussian
/// classes, linearly separable — with <c>random_state=seed</c> for the source and
/// <c>seed + 1000</c> for the target, whose points are then translated by a fixed shift, the same
/// for every seed.
/// </summary>
/// <remarks>
/// <para>
/// The horizontal part of the shift, 1.5, moves the target's class 0 to x = 0.5, on the source's
/// class-1 side of any boundary near x = 0, so a source-trained boundary mislabels about half of
/// the target. The vertical part sets how far apart the two domains lie.
/// </para>
/// <para>
/// <see cref="DefaultTargetShift"/> (1.5, 1.5) puts the domains 4.3 σ apart vertically, so the
/// target is a distinct domain as in the article's figures. The reference script's
/// <see cref="ReferenceTargetShift"/> (1.5, 1.0) puts them only 2.9 σ apart: some 8% of the target's
/// class 0 then lies among the source's class 1, and DANN — the PyTorch reference as well as
/// EegDann — stops near 0.90 target accuracy there (see docs/dann.md, "The article's toy experiment").
/// </para>
/// </remarks>
public static class TwoBlobs
{
    /// <summary>Points per domain (250 per class).</summary>
    public const int SamplesPerDomain = 500;

    /// <summary>Standard deviation of each Gaussian class, per coordinate.</summary>
    public const double ClusterStd = 0.35;

    /// <summary>Class centres (class 0, class 1), identical in both domains before the shift.</summary>
    public static IReadOnlyList<(double X, double Y)> Centers { get; } = [(-1.0, 0.0), (1.0, 0.0)];

    /// <summary>The demo's fixed translation of the target domain: (1.5, 1.5).</summary>
    public static (double X, double Y) DefaultTargetShift { get; } = (1.5, 1.5);

    /// <summary>The translation used by ../shared/peers/dann_reference.py: (1.5, 1.0).</summary>
    public static (double X, double Y) ReferenceTargetShift { get; } = (1.5, 1.0);

    /// <summary>Class names of the toy problem.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["class 0", "class 1"];

    /// <summary>Draws the source and target of seed <paramref name="seed"/> (≥ 0).</summary>
    /// <param name="seed">Seed; the source uses it, the target seed + 1000, as scikit-learn's random_state.</param>
    /// <param name="targetShift">The translation of the target; <see cref="DefaultTargetShift"/> when null.</param>
    public static BlobsData Generate(int seed, (double X, double Y)? targetShift = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var shift = targetShift ?? DefaultTargetShift;
        if (!double.IsFinite(shift.X) || !double.IsFinite(shift.Y))
        {
            throw new ArgumentException($"The target shift must be finite, got ({shift.X}, {shift.Y}).", nameof(targetShift));
        }

        var (xs, ys) = MakeBlobs((uint)seed, SamplesPerDomain);
        var (xt, yt) = MakeBlobs((uint)seed + 1000, SamplesPerDomain);
        var source = new float[xs.Length];
        var target = new float[xt.Length];
        for (int i = 0; i < xs.Length; i += 2)
        {
            source[i] = (float)xs[i];
            source[i + 1] = (float)xs[i + 1];
            target[i] = (float)(xt[i] + shift.X);
            target[i + 1] = (float)(xt[i + 1] + shift.Y);
        }

        return new BlobsData(new SampleMatrix(source, SamplesPerDomain, 2), ys, new SampleMatrix(target, SamplesPerDomain, 2), yt);
    }

    /// <summary>scikit-learn 1.2's <c>make_blobs</c> with explicit centres and shuffling, in double precision (row-major x, y).</summary>
    internal static (double[] Points, int[] Labels) MakeBlobs(uint seed, int samples)
    {
        var random = new NumpyLegacyRandom(seed);
        int perCenter = samples / Centers.Count;
        var counts = Enumerable.Repeat(perCenter, Centers.Count).ToArray();
        for (int i = 0; i < samples % Centers.Count; i++)
        {
            counts[i]++;
        }

        var points = new double[samples * 2];
        var labels = new int[samples];
        int row = 0;
        for (int c = 0; c < Centers.Count; c++)
        {
            for (int i = 0; i < counts[c]; i++, row++)
            {
                points[row * 2] = Centers[c].X + ClusterStd * random.NextGaussian();
                points[row * 2 + 1] = Centers[c].Y + ClusterStd * random.NextGaussian();
                labels[row] = c;
            }
        }

        // sklearn.utils.shuffle → resample(replace=False): shuffle an index array, then take rows.
        var order = Enumerable.Range(0, samples).ToArray();
        random.Shuffle(order);
        var shuffledPoints = new double[points.Length];
        var shuffledLabels = new int[samples];
        for (int i = 0; i < samples; i++)
        {
            shuffledPoints[i * 2] = points[order[i] * 2];
            shuffledPoints[i * 2 + 1] = points[order[i] * 2 + 1];
            shuffledLabels[i] = labels[order[i]];
        }

        return (shuffledPoints, shuffledLabels);
    }
}
