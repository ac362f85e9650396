namespace EegDann.Dsp.Features;

/// <summary>
/// Runs a window through alignment, the feature extractors in order (their features concatenated)
/// and standardisation: the one per-window path shared by calibration (epochs) and the live
/// decoder (sliding windows). Buffers are allocated once; a window costs no allocation.
/// </summary>
public sealed class WindowFeaturizer
{
    private readonly IFeatureExtractor[] _extractors;
    private readonly int[] _offsets;

    /// <summary>Assembles the path.</summary>
    /// <param name="channels">n.</param>
    /// <param name="samples">Window length, samples.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    /// <param name="extractors">Feature extractors, in order.</param>
    /// <param name="standardization">Standardisation of the concatenated features, or null.</param>
    public WindowFeaturizer(int channels, int samples, double sampleRateHz, IReadOnlyList<IFeatureExtractor> extractors, StandardizationFit? standardization)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        _extractors = extractors.ToArray();
        _offsets = new int[_extractors.Length];
        var names = new List<string>();
        for (int i = 0; i < _extractors.Length; i++)
        {
            _offsets[i] = names.Count;
            names.AddRange(_extractors[i].FeatureNames);
        }

        if (standardization != null && (standardization.Mean.Length != names.Count || standardization.Scale.Length != names.Count))
        {
            throw new ArgumentException($"the standardisation was fitted on {standardization.Mean.Length} features, the extractors make {names.Count}.", nameof(standardization));
        }

        FeatureNames = names;
        Standardization = standardization;
        Context = new WindowContext(channels, samples, sampleRateHz);
    }

    /// <summary>Names of the features, in order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Number of features.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>The standardisation, or null.</summary>
    public StandardizationFit? Standardization { get; }

    /// <summary>The current window (covariances, aligned samples) after <see cref="Load"/>.</summary>
    public WindowContext Context { get; }

    /// <summary>Loads a window (channels × samples, channel-major) and computes its covariances.</summary>
    public void Load(ReadOnlySpan<double> window) => Context.Load(window);

    /// <summary>Aligns the loaded window with R^-1/2; skip for pipelines without alignment.</summary>
    public void Align(ReadOnlySpan<double> whitening) => Context.Align(whitening);

    /// <summary>Writes the loaded (and aligned) window's features into <paramref name="features"/> (<see cref="FeatureCount"/> values).</summary>
    public void Extract(Span<double> features)
    {
        for (int i = 0; i < _extractors.Length; i++)
        {
            _extractors[i].Extract(Context, features.Slice(_offsets[i], _extractors[i].FeatureNames.Count));
        }

        Standardization?.Apply(features[..FeatureCount]);
    }

    /// <summary>Load, align (when <paramref name="whitening"/> is not empty) and extract in one call.</summary>
    public void Compute(ReadOnlySpan<double> window, ReadOnlySpan<double> whitening, Span<double> features)
    {
        Load(window);
        if (!whitening.IsEmpty)
        {
            Align(whitening);
        }

        Extract(features);
    }
}
