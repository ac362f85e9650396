using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Features;

/// <summary>
/// One window as feature extractors see it, after alignment. Everything is computed on first
/// request and only then — the per-channel variances (all log-variance needs, O(n·samples)), the
/// full covariance (O(n²·samples)), its aligned form W·Σ·Wᵀ, the aligned samples W·X — so a
/// pipeline pays only for what its steps read. Buffers are reused from window to window; nothing
/// is valid after the next window is loaded.
/// </summary>
public sealed class WindowContext
{
    private readonly double[] _raw;
    private readonly double[] _aligned;
    private readonly double[] _whitening;
    private readonly double[] _mean;
    private readonly double[] _centered;
    private readonly double[] _rawCovariance;
    private readonly double[] _secondMoment;
    private readonly double[] _covariance;
    private readonly double[] _variances;
    private bool _hasSamples;
    private bool _hasWhitening;
    private bool _meanReady;
    private bool _centeredReady;
    private bool _rawCovarianceReady;
    private bool _secondMomentReady;
    private bool _covarianceReady;
    private bool _variancesReady;
    private bool _alignedReady;

    /// <summary>Creates buffers for windows of <paramref name="channels"/> × <paramref name="samples"/>.</summary>
    public WindowContext(int channels, int samples, double sampleRateHz)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        Channels = channels;
        Samples = samples;
        SampleRateHz = sampleRateHz;
        _raw = new double[channels * samples];
        _aligned = new double[channels * samples];
        _centered = new double[channels * samples];
        _whitening = new double[channels * channels];
        _mean = new double[channels];
        _rawCovariance = new double[channels * channels];
        _secondMoment = new double[channels * channels];
        _covariance = new double[channels * channels];
        _variances = new double[channels];
        Scratch = new double[channels * channels];
    }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Samples per channel.</summary>
    public int Samples { get; }

    /// <summary>Sample rate of the window, Hz.</summary>
    public double SampleRateHz { get; }

    /// <summary>Scratch space of channels × channels for extractors (contents undefined between calls).</summary>
    internal double[] Scratch { get; }

    /// <summary>Loads a window (channels × samples, channel-major, µV). Nothing is computed yet.</summary>
    public void Load(ReadOnlySpan<double> window)
    {
        window[..(Channels * Samples)].CopyTo(_raw);
        _hasSamples = true;
        _hasWhitening = false;
        _meanReady = _centeredReady = _rawCovarianceReady = _secondMomentReady = _covarianceReady = _variancesReady = _alignedReady = false;
    }

    /// <summary>
    /// Loads only a (centred, aligned) covariance, for covariance-based extractors (log-variance,
    /// covariance, CSP, tangent space); samples, means and second moments are then unavailable.
    /// </summary>
    public void LoadCovariance(ReadOnlySpan<double> covariance)
    {
        covariance[..(Channels * Channels)].CopyTo(_covariance);
        _hasSamples = false;
        _hasWhitening = false;
        _meanReady = _centeredReady = _rawCovarianceReady = _secondMomentReady = _variancesReady = _alignedReady = false;
        _covarianceReady = true;
    }

    /// <summary>
    /// Loads only the (aligned) per-channel variances, for extractors that read nothing else
    /// (<see cref="IFeatureExtractor.ReadsOnlyVariances"/>); samples and covariances are then unavailable.
    /// </summary>
    public void LoadVariances(ReadOnlySpan<double> variances)
    {
        variances[..Channels].CopyTo(_variances);
        _hasSamples = false;
        _hasWhitening = false;
        _meanReady = _centeredReady = _rawCovarianceReady = _secondMomentReady = _covarianceReady = _alignedReady = false;
        _variancesReady = true;
    }

    /// <summary>Aligns the loaded window with R^-1/2 (n × n, row-major).</summary>
    public void Align(ReadOnlySpan<double> whitening)
    {
        RequireSamples();
        whitening[..(Channels * Channels)].CopyTo(_whitening);
        _hasWhitening = true;
        _covarianceReady = _variancesReady = _alignedReady = false;
    }

    /// <summary>Channel means of the unaligned window.</summary>
    public ReadOnlySpan<double> Mean
    {
        get
        {
            EnsureMean();
            return _mean;
        }
    }

    /// <summary>Centred (population, 1/n) covariance of the unaligned window, channels × channels.</summary>
    public double[] RawCovariance
    {
        get
        {
            if (!_rawCovarianceReady)
            {
                EnsureCentered();
                int n = Channels;
                Span<double> four = stackalloc double[4];
                for (int i = 0; i < n; i++)
                {
                    var yi = _centered.AsSpan(i * Samples, Samples);
                    int j = i;

                    // Four entries per pass over row i, each exactly Matrices.Dot's arithmetic.
                    for (; j + 4 <= n; j += 4)
                    {
                        MatrixVector.Dot4(yi, _centered.AsSpan(j * Samples, Samples), _centered.AsSpan((j + 1) * Samples, Samples), _centered.AsSpan((j + 2) * Samples, Samples), _centered.AsSpan((j + 3) * Samples, Samples), four);
                        for (int k = 0; k < 4; k++)
                        {
                            double v = four[k] / Samples;
                            _rawCovariance[(i * n) + j + k] = v;
                            _rawCovariance[((j + k) * n) + i] = v;
                        }
                    }

                    for (; j < n; j++)
                    {
                        double v = Matrices.Dot(yi, _centered.AsSpan(j * Samples, Samples)) / Samples;
                        _rawCovariance[(i * n) + j] = v;
                        _rawCovariance[(j * n) + i] = v;
                    }
                }

                _rawCovarianceReady = true;
            }

            return _rawCovariance;
        }
    }

    /// <summary>Uncentred second moment X·Xᵀ/n = Σ + μμᵀ of the unaligned window (what alignment averages).</summary>
    public double[] SecondMoment
    {
        get
        {
            if (!_secondMomentReady)
            {
                var cov = RawCovariance;
                int n = Channels;
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        _secondMoment[(i * n) + j] = cov[(i * n) + j] + (_mean[i] * _mean[j]);
                    }
                }

                _secondMomentReady = true;
            }

            return _secondMoment;
        }
    }

    /// <summary>Centred covariance of the aligned window, W·Σ·Wᵀ (Σ itself without alignment), channels × channels.</summary>
    public double[] Covariance
    {
        get
        {
            if (!_covarianceReady)
            {
                if (_hasWhitening)
                {
                    Matrices.Congruence(_whitening, RawCovariance, _covariance, Scratch, Channels, Channels);
                }
                else
                {
                    RawCovariance.CopyTo(_covariance, 0);
                }

                _covarianceReady = true;
            }

            return _covariance;
        }
    }

    /// <summary>Population variance of each aligned channel (the diagonal of <see cref="Covariance"/>), µV².</summary>
    public ReadOnlySpan<double> Variances
    {
        get
        {
            if (!_variancesReady)
            {
                int n = Channels;
                if (_hasWhitening || !_hasSamples)
                {
                    var cov = Covariance;
                    for (int c = 0; c < n; c++)
                    {
                        _variances[c] = cov[(c * n) + c];
                    }
                }
                else if (_rawCovarianceReady)
                {
                    for (int c = 0; c < n; c++)
                    {
                        _variances[c] = _rawCovariance[(c * n) + c];
                    }
                }
                else
                {
                    // Only the diagonal: O(n·samples), bit-identical to the covariance's diagonal.
                    EnsureMean();
                    for (int c = 0; c < n; c++)
                    {
                        _variances[c] = Matrices.CenteredSumOfSquares(_raw.AsSpan(c * Samples, Samples), _mean[c]) / Samples;
                    }
                }

                _variancesReady = true;
            }

            return _variances;
        }
    }

    /// <summary>The aligned samples W·X (the loaded samples when not aligned), channels × samples, channel-major.</summary>
    public ReadOnlySpan<double> AlignedSamples
    {
        get
        {
            RequireSamples();
            if (!_hasWhitening)
            {
                return _raw;
            }

            if (!_alignedReady)
            {
                Matrices.Multiply(_whitening, _raw, _aligned, Channels, Channels, Samples);
                _alignedReady = true;
            }

            return _aligned;
        }
    }

    private void EnsureMean()
    {
        if (_meanReady)
        {
            return;
        }

        RequireSamples();
        for (int c = 0; c < Channels; c++)
        {
            _mean[c] = Matrices.Sum(_raw.AsSpan(c * Samples, Samples)) / Samples;
        }

        _meanReady = true;
    }

    private void EnsureCentered()
    {
        if (_centeredReady)
        {
            return;
        }

        EnsureMean();
        for (int c = 0; c < Channels; c++)
        {
            var x = _raw.AsSpan(c * Samples, Samples);
            double mu = _mean[c];
            var y = _centered.AsSpan(c * Samples, Samples);
            for (int s = 0; s < Samples; s++)
            {
                y[s] = x[s] - mu;
            }
        }

        _centeredReady = true;
    }

    private void RequireSamples()
    {
        if (!_hasSamples)
        {
            throw new InvalidOperationException("no window samples are loaded (only a covariance or variances).");
        }
    }
}
