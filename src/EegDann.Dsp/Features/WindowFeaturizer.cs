namespace EegDann.Dsp.Features;

/// <summary>
/// Runs a window through alignment, the feature extractors in order (their features concatenated)
/// and standardisation: the one per-window path shared by calibration (epochs) and the live
/// decoder (sliding windows). After a filter bank, each band of the window goes through its own
/// alignment and extractors. Buffers are allocated once; a window costs no allocation.
/// </summary>
public sealed class WindowFeaturizer
{
    private readonly IFeatureExtractor[][] _extractors;
    private readonly int[][] _offsets;
    private readonly WindowContext[] _contexts;
    private readonly int _bandSize;

    /// <summary>Assembles the path for windows of one band.</summary>
    /// <param name="channels">n.</param>
    /// <param name="samples">Window length, samples.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    /// <param name="extractors">Feature extractors, in order.</param>
    /// <param name="standardization">Standardisation of the concatenated features, or null.</param>
    public WindowFeaturizer(int channels, int samples, double sampleRateHz, IReadOnlyList<IFeatureExtractor> extractors, StandardizationFit? standardization)
        : this(channels, samples, sampleRateHz, [extractors ?? throw new ArgumentNullException(nameof(extractors))], null, standardization)
    {
    }

    /// <summary>
    /// Assembles the path for filter-bank windows: <c>bands × channels × samples</c>, band-major;
    /// every band has its own context (and alignment) and its own extractors. Features are ordered
    /// band by band; with more than one band each name is prefixed with its band's tag
    /// (<c>fb8_12_logvar_C3</c>).
    /// </summary>
    /// <param name="channels">n: channels per band.</param>
    /// <param name="samples">Window length, samples.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    /// <param name="bandExtractors">Per band, the feature extractors in order; at least one band.</param>
    /// <param name="bandTags">Per band, the tag in feature names (e.g. <c>8_12</c>); required with more than one band.</param>
    /// <param name="standardization">Standardisation of the concatenated features, or null.</param>
    public WindowFeaturizer(int channels, int samples, double sampleRateHz, IReadOnlyList<IReadOnlyList<IFeatureExtractor>> bandExtractors, IReadOnlyList<string>? bandTags, StandardizationFit? standardization)
    {
        ArgumentNullException.ThrowIfNull(bandExtractors);
        if (bandExtractors.Count == 0)
        {
            throw new ArgumentException("a featurizer needs at least one band.", nameof(bandExtractors));
        }

        if (bandExtractors.Count > 1 && (bandTags is null || bandTags.Count != bandExtractors.Count))
        {
            throw new ArgumentException($"{bandExtractors.Count} bands need {bandExtractors.Count} band tags.", nameof(bandTags));
        }

        _extractors = bandExtractors.Select(e => e.ToArray()).ToArray();
        _offsets = new int[_extractors.Length][];
        var names = new List<string>();
        for (int b = 0; b < _extractors.Length; b++)
        {
            _offsets[b] = new int[_extractors[b].Length];
            for (int i = 0; i < _extractors[b].Length; i++)
            {
                _offsets[b][i] = names.Count;
                names.AddRange(_extractors.Length == 1 ? _extractors[b][i].FeatureNames : _extractors[b][i].FeatureNames.Select(n => $"fb{bandTags![b]}_{n}"));
            }
        }

        if (standardization != null && (standardization.Mean.Length != names.Count || standardization.Scale.Length != names.Count))
        {
            throw new ArgumentException($"the standardisation was fitted on {standardization.Mean.Length} features, the extractors make {names.Count}.", nameof(standardization));
        }

        FeatureNames = names;
        Standardization = standardization;
        _contexts = _extractors.Select(_ => new WindowContext(channels, samples, sampleRateHz)).ToArray();
        _bandSize = channels * samples;
    }

    /// <summary>Names of the features, in order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Number of features.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>Bands (1 without a filter bank).</summary>
    public int BandCount => _contexts.Length;

    /// <summary>The standardisation, or null.</summary>
    public StandardizationFit? Standardization { get; }

    /// <summary>The current window of the first (or only) band (covariances, aligned samples) after <see cref="Load"/>.</summary>
    public WindowContext Context => _contexts[0];

    /// <summary>The current window of every band, in band order.</summary>
    public IReadOnlyList<WindowContext> Contexts => _contexts;

    /// <summary>Whether every extractor reads only the aligned variances (<see cref="IFeatureExtractor.ReadsOnlyVariances"/>), so <see cref="LoadVariances"/> is enough.</summary>
    public bool ReadsOnlyVariances => _extractors.All(band => band.All(e => e.ReadsOnlyVariances));

    /// <summary>Loads only the aligned per-channel variances of a window (bands × channels, band-major), for <see cref="ReadsOnlyVariances"/> featurizers.</summary>
    public void LoadVariances(ReadOnlySpan<double> variances)
    {
        int n = _contexts[0].Channels;
        for (int b = 0; b < _contexts.Length; b++)
        {
            _contexts[b].LoadVariances(variances.Slice(b * n, n));
        }
    }

    /// <summary>Loads a window (bands × channels × samples, channel-major, band-major) and computes its covariances.</summary>
    public void Load(ReadOnlySpan<double> window)
    {
        for (int b = 0; b < _contexts.Length; b++)
        {
            _contexts[b].Load(window.Slice(b * _bandSize, _bandSize));
        }
    }

    /// <summary>Aligns the loaded window with R^-1/2 (one n × n block per band, row-major); skip for pipelines without alignment.</summary>
    public void Align(ReadOnlySpan<double> whitening)
    {
        int n = _contexts[0].Channels, block = n * n;
        for (int b = 0; b < _contexts.Length; b++)
        {
            _contexts[b].Align(whitening.Slice(b * block, block));
        }
    }

    /// <summary>Copies the loaded window's uncentred second moments (one n × n block per band) into <paramref name="destination"/>: what alignment averages.</summary>
    public void CopySecondMoments(Span<double> destination)
    {
        int n = _contexts[0].Channels, block = n * n;
        for (int b = 0; b < _contexts.Length; b++)
        {
            _contexts[b].SecondMoment.AsSpan(0, block).CopyTo(destination.Slice(b * block, block));
        }
    }

    /// <summary>Writes the loaded (and aligned) window's features into <paramref name="features"/> (<see cref="FeatureCount"/> values).</summary>
    public void Extract(Span<double> features)
    {
        for (int b = 0; b < _extractors.Length; b++)
        {
            var extractors = _extractors[b];
            for (int i = 0; i < extractors.Length; i++)
            {
                extractors[i].Extract(_contexts[b], features.Slice(_offsets[b][i], extractors[i].FeatureNames.Count));
            }
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
