namespace EegDann.Dsp.Features;

/// <summary>
/// A subject's feature standardisation estimated from its stream: the running mean and population
/// standard deviation of the features of every window seen so far, taken as the window's
/// standardisation when the warm-up ends and then every <c>updateEveryWindows</c> windows.
/// </summary>
/// <remarks>
/// The streaming counterpart of a subject's <see cref="StandardizationFit"/> (per-subject
/// standardisation, fitted on the subject's own unlabeled rows): after t windows the statistics
/// equal <see cref="StandardizationFit.Fit"/> over the same rows to rounding. Until
/// <c>warmupWindows</c> windows have been seen the estimate is not trusted (<see cref="IsWarm"/>)
/// and <see cref="Apply"/> leaves the row as it is. Each window joins the estimate before it is
/// standardised (<see cref="Observe"/> then <see cref="Apply"/>), as a window joins the stream's
/// alignment estimate before it is aligned; the live path and the replay's batch path call both in
/// window order, so they agree. No allocation per window.
/// </remarks>
public sealed class OnlineStandardization
{
    private readonly double[] _mean;
    private readonly double[] _m2;
    private readonly double[] _currentMean;
    private readonly double[] _currentScale;

    // The standardisation in use, over _currentMean and _currentScale (updated in place).
    private readonly StandardizationFit _current;
    private readonly int _warmup;
    private readonly int _updateEvery;

    /// <summary>Starts the estimate.</summary>
    /// <param name="featureCount">Features per window (≥ 1).</param>
    /// <param name="warmupWindows">Windows before the estimate is used (≥ 1).</param>
    /// <param name="updateEveryWindows">Windows between two updates of the standardisation in use (≥ 1).</param>
    public OnlineStandardization(int featureCount, int warmupWindows, int updateEveryWindows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmupWindows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(updateEveryWindows);
        _mean = new double[featureCount];
        _m2 = new double[featureCount];
        _currentMean = new double[featureCount];
        _currentScale = new double[featureCount];
        Array.Fill(_currentScale, 1.0);
        _current = new StandardizationFit(_currentMean, _currentScale);
        _warmup = warmupWindows;
        _updateEvery = updateEveryWindows;
    }

    /// <summary>Windows observed.</summary>
    public long Count { get; private set; }

    /// <summary>Whether the warm-up is over: the rows are standardised with the stream's statistics.</summary>
    public bool IsWarm => Count >= _warmup;

    /// <summary>Features per window.</summary>
    public int FeatureCount => _mean.Length;

    /// <summary>The standardisation in use now (a copy): the identity during the warm-up.</summary>
    public StandardizationFit Current => new((double[])_currentMean.Clone(), (double[])_currentScale.Clone());

    /// <summary>The statistics of every row observed so far (allocates), whatever the standardisation in use: <see cref="Current"/> right after an update.</summary>
    public StandardizationFit Statistics
    {
        get
        {
            var mean = (double[])_mean.Clone();
            var scale = new double[_m2.Length];
            for (int f = 0; f < scale.Length; f++)
            {
                scale[f] = ScaleOf(f);
            }

            return new StandardizationFit(mean, scale);
        }
    }

    /// <summary>
    /// Adds one window's (unstandardised) features to the estimate; at the end of the warm-up and every
    /// update period after it, the standardisation in use is updated. A row with a non-finite value
    /// (e.g. the log-variance of a flat, disconnected channel) is left out, so one bad window cannot
    /// spoil the estimate for the rest of the stream; the window itself stays non-finite, which the
    /// decoder's fail-safe refuses.
    /// </summary>
    /// <returns>Whether the row joined the estimate.</returns>
    /// <exception cref="ArgumentException">When the row does not have <see cref="FeatureCount"/> values.</exception>
    public bool Observe(ReadOnlySpan<double> features)
    {
        if (features.Length != _mean.Length)
        {
            throw new ArgumentException($"a row of {features.Length} features; the estimate has {_mean.Length}.", nameof(features));
        }

        foreach (double v in features)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }

        // Welford's update: the running mean and sum of squared deviations.
        Count++;
        for (int f = 0; f < _mean.Length; f++)
        {
            double delta = features[f] - _mean[f];
            _mean[f] += delta / Count;
            _m2[f] += delta * (features[f] - _mean[f]);
        }

        if (Count == _warmup || (Count > _warmup && (Count - _warmup) % _updateEvery == 0))
        {
            for (int f = 0; f < _mean.Length; f++)
            {
                _currentMean[f] = _mean[f];
                _currentScale[f] = ScaleOf(f);
            }
        }

        return true;
    }

    /// <summary>Standardises one row in place with the standardisation in use, as <see cref="StandardizationFit.Apply"/>: (x − mean) / scale; the identity during the warm-up.</summary>
    public void Apply(Span<double> row)
    {
        if (IsWarm)
        {
            _current.Apply(row);
        }
    }

    /// <summary>The population standard deviation of feature <paramref name="f"/> so far, 1 where it is 0 (as <see cref="StandardizationFit.Fit"/>).</summary>
    private double ScaleOf(int f)
    {
        double sd = Math.Sqrt(_m2[f] / Count);
        return sd > 0 && double.IsFinite(sd) ? sd : 1;
    }
}
