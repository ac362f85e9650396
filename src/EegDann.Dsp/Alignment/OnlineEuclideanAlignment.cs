using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Alignment;

/// <summary>
/// Euclidean alignment in a stream: R is the running mean of the second moments of the windows
/// seen so far (optionally starting from a prior R, e.g. the calibration's), and R^-1/2 is
/// recomputed every <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows.
/// </summary>
/// <remarks>
/// Warm-up: without a prior, the alignment is not trusted until
/// <see cref="EuclideanAlignmentOptions.WarmupWindows"/> windows have been averaged
/// (<see cref="IsWarm"/>); until then the whitening is the identity, and R^-1/2 is first computed
/// when the warm-up ends, then every <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows. With a prior of
/// weight w (in windows), R_t = (w·R_prior + Σ_{i≤t} C_i) / (w + t) and the alignment is warm at
/// once. After t windows (no prior), R_t equals <see cref="EuclideanAlignment.Fit"/> over the same
/// windows, so the streaming estimate converges to the batch one. After a filter bank every band
/// keeps its own estimate (one n × n block per band, as <see cref="AlignmentFit"/>), and the bands
/// are recomputed in turn: band b (of B) every P = <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/>
/// windows at offset ⌈(b + 1)·P / B⌉ from the last full update (the end of the warm-up, an explicit
/// <see cref="Update"/>, or the start with a prior), so a window recomputes at most ⌈B / P⌉ bands'
/// eigendecompositions instead of all B at once (one band: every P windows, as before). No
/// allocation per window.
/// </remarks>
public sealed class OnlineEuclideanAlignment
{
    private readonly EuclideanAlignmentOptions _options;
    private readonly double[] _sum;
    private readonly double[] _mean;
    private readonly double[] _whitening;
    private readonly double[] _scratch;
    private readonly SymmetricEigen _eigen;
    private readonly double _priorWeight;
    private readonly long[] _bandUpdates;
    private long _sinceUpdate;

    /// <summary>Starts the estimate.</summary>
    /// <param name="subject">Whose stream it is (for messages and the exported fit).</param>
    /// <param name="channels">n.</param>
    /// <param name="options">Warm-up, update period, shrinkage.</param>
    /// <param name="prior">A fitted reference to start from (calibration), or null.</param>
    /// <param name="priorWeightWindows">How many windows the prior counts for (≥ 0). Default: the warm-up count.</param>
    /// <param name="bands">Bands of a filter bank, each aligned on its own (1 without a filter bank).</param>
    public OnlineEuclideanAlignment(string subject, int channels, EuclideanAlignmentOptions options, AlignmentFit? prior = null, double? priorWeightWindows = null, int bands = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid alignment options: " + string.Join("; ", problems) + ".", nameof(options));
        }

        if (prior != null && (prior.ChannelCount != channels || prior.Bands != bands))
        {
            throw new ArgumentException($"the prior alignment has {prior.Bands} band(s) of {prior.ChannelCount} channels, the stream {bands} of {channels}.", nameof(prior));
        }

        Subject = subject;
        ChannelCount = channels;
        Bands = bands;
        _options = options;
        _sum = new double[bands * channels * channels];
        _mean = new double[bands * channels * channels];
        _whitening = new double[bands * channels * channels];
        for (int b = 0; b < bands; b++)
        {
            Matrices.Identity(channels).CopyTo(_whitening, b * channels * channels);
        }

        _bandUpdates = new long[bands];
        _scratch = new double[channels * channels];
        _eigen = new SymmetricEigen(channels, vectorized: true);
        if (prior != null)
        {
            _priorWeight = priorWeightWindows ?? options.WarmupWindows;
            ArgumentOutOfRangeException.ThrowIfNegative(_priorWeight);
            for (int i = 0; i < _sum.Length; i++)
            {
                _sum[i] = _priorWeight * prior.Reference[i];
            }

            prior.Whitening.CopyTo(_whitening, 0);
            HasPrior = true;
        }
    }

    /// <summary>The subject.</summary>
    public string Subject { get; }

    /// <summary>n: channels per band.</summary>
    public int ChannelCount { get; }

    /// <summary>Bands aligned separately (1 without a filter bank).</summary>
    public int Bands { get; }

    /// <summary>Whether a prior reference was given.</summary>
    public bool HasPrior { get; }

    /// <summary>Windows averaged so far.</summary>
    public long WindowCount { get; private set; }

    /// <summary>Whether the alignment can be trusted: a prior was given or the warm-up is over (R^-1/2 is computed when it ends).</summary>
    public bool IsWarm => HasPrior || WindowCount >= _options.WarmupWindows;

    /// <summary>Times R^-1/2 was recomputed, of one band or more (see <see cref="UpdatesOf"/> per band).</summary>
    public long Updates { get; private set; }

    /// <summary>The current R^-1/2 (one n × n block per band, row-major). Do not modify.</summary>
    public ReadOnlySpan<double> Whitening => _whitening;

    /// <summary>Adds one window's uncentred second moment X·Xᵀ/n (n × n per band) to the running mean, and recomputes R^-1/2 of the bands that are due (see the remarks).</summary>
    public void Observe(ReadOnlySpan<double> secondMoment)
    {
        for (int i = 0; i < _sum.Length; i++)
        {
            _sum[i] += secondMoment[i];
        }

        WindowCount++;
        if (!HasPrior && WindowCount == _options.WarmupWindows)
        {
            Update();
            return;
        }

        if (!HasPrior && WindowCount < _options.WarmupWindows)
        {
            return;
        }

        _sinceUpdate++;
        bool any = false;
        for (int b = 0; b < Bands; b++)
        {
            long offset = UpdateOffset(b);
            if (_sinceUpdate >= offset && (_sinceUpdate - offset) % _options.UpdateEveryWindows == 0)
            {
                any |= UpdateBand(b);
            }
        }

        if (any)
        {
            Updates++;
        }
    }

    /// <summary>Times R^-1/2 of band <paramref name="band"/> was recomputed.</summary>
    public long UpdatesOf(int band) => _bandUpdates[band];

    /// <summary>Recomputes R^-1/2 of every band from the windows so far now (e.g. at the end of a calibration period); the bands' turns start again from here.</summary>
    public void Update()
    {
        bool any = false;
        for (int b = 0; b < Bands; b++)
        {
            any |= UpdateBand(b);
        }

        if (any)
        {
            _sinceUpdate = 0;
            Updates++;
        }
    }

    /// <summary>Windows after the last full update at which band <paramref name="band"/> is first recomputed: ⌈(band + 1)·P / B⌉ ∈ [1, P].</summary>
    private long UpdateOffset(int band) => (((long)(band + 1) * _options.UpdateEveryWindows) + Bands - 1) / Bands;

    private bool UpdateBand(int band)
    {
        double weight = _priorWeight + WindowCount;
        if (weight <= 0)
        {
            return false;
        }

        int block = ChannelCount * ChannelCount;
        var mean = _mean.AsSpan(band * block, block);
        var sum = _sum.AsSpan(band * block, block);
        for (int i = 0; i < block; i++)
        {
            mean[i] = sum[i] / weight;
        }

        EuclideanAlignment.ShrinkInPlace(mean, ChannelCount, _options.Shrinkage);
        EuclideanAlignment.InverseSquareRoot(mean, ChannelCount, _whitening.AsSpan(band * block, block), _eigen, _scratch, Subject);
        _bandUpdates[band]++;
        return true;
    }

    /// <summary>The current estimate as a fit (allocates): what the online calibrator can store in a model file.</summary>
    public AlignmentFit Snapshot()
    {
        double weight = _priorWeight + WindowCount;
        var mean = new double[_sum.Length];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = weight > 0 ? _sum[i] / weight : (i % (ChannelCount * ChannelCount) % (ChannelCount + 1) == 0 ? 1 : 0);
        }

        return EuclideanAlignment.FromReference(Subject, mean, WindowCount, ChannelCount, _options, Bands);
    }
}
