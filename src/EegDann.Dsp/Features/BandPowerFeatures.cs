using System.Globalization;
using NWaves.Transforms;

namespace EegDann.Dsp.Features;

/// <summary>A frequency band, Hz: [<paramref name="LowHz"/>, <paramref name="HighHz"/>).</summary>
/// <param name="LowHz">Lower edge, Hz, ≥ 0.</param>
/// <param name="HighHz">Upper edge, Hz, &gt; <paramref name="LowHz"/>, ≤ Nyquist.</param>
public sealed record FrequencyBand(double LowHz, double HighHz)
{
    /// <summary>The band as a name fragment, e.g. <c>8_12</c>.</summary>
    public string Tag => $"{Format(LowHz)}_{Format(HighHz)}";

    private static string Format(double hz) => hz.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// Band power per band and channel of the aligned window: a Hann-windowed periodogram (one-sided
/// power spectral density, µV²/Hz, FFT zero-padded to a power of two, NWaves'
/// <see cref="RealFft64"/>) summed over the bins with LowHz ≤ f &lt; HighHz, times the bin width:
/// µV² in the band. Optionally the natural log (floored at 10⁻¹² µV²). Features are ordered band by
/// band, channel by channel: <c>bp8_12_C3</c> (or <c>logbp8_12_C3</c>).
/// </summary>
public sealed class BandPowerFeatures : IFeatureExtractor
{
    private readonly FrequencyBand[] _bands;
    private readonly int _samples;
    private readonly int _fftSize;
    private readonly double _sampleRateHz;
    private readonly bool _log;
    private readonly double[] _window;
    private readonly double[] _input;
    private readonly double[] _re;
    private readonly double[] _im;
    private readonly int[] _firstBin;
    private readonly int[] _lastBin;
    private readonly RealFft64 _fft;
    private readonly double _psdScale;
    private readonly double _binWidth;

    /// <summary>Creates the extractor.</summary>
    /// <param name="channels">Channel names (columns).</param>
    /// <param name="samples">Window length, samples (≥ 8).</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    /// <param name="bands">Bands, each inside [0, Nyquist] and wider than one FFT bin.</param>
    /// <param name="log">Whether to take the natural log.</param>
    /// <exception cref="ArgumentException">When a band is empty or outside the spectrum; the message names it.</exception>
    public BandPowerFeatures(IReadOnlyList<string> channels, int samples, double sampleRateHz, IReadOnlyList<FrequencyBand> bands, bool log)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(bands);
        if (samples < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "band power needs windows of at least 8 samples.");
        }

        if (bands.Count == 0)
        {
            throw new ArgumentException("band power needs at least one band.", nameof(bands));
        }

        _bands = bands.ToArray();
        _samples = samples;
        _sampleRateHz = sampleRateHz;
        _log = log;
        _fftSize = 1;
        while (_fftSize < samples)
        {
            _fftSize <<= 1;
        }

        _fft = new RealFft64(_fftSize);
        _input = new double[_fftSize];
        _re = new double[(_fftSize / 2) + 1];
        _im = new double[(_fftSize / 2) + 1];
        _window = new double[samples];
        double energy = 0;
        for (int n = 0; n < samples; n++)
        {
            _window[n] = 0.5 - (0.5 * Math.Cos(2 * Math.PI * n / samples)); // periodic Hann, as scipy.signal.periodogram
            energy += _window[n] * _window[n];
        }

        _psdScale = 1.0 / (sampleRateHz * energy);
        _binWidth = sampleRateHz / _fftSize;
        _firstBin = new int[_bands.Length];
        _lastBin = new int[_bands.Length];
        for (int b = 0; b < _bands.Length; b++)
        {
            var band = _bands[b];
            if (!(band.LowHz >= 0) || !(band.HighHz > band.LowHz) || band.HighHz > sampleRateHz / 2 + 1e-9)
            {
                throw new ArgumentException($"band {band.LowHz}–{band.HighHz} Hz must satisfy 0 ≤ low < high ≤ Nyquist ({sampleRateHz / 2} Hz).", nameof(bands));
            }

            _firstBin[b] = (int)Math.Ceiling((band.LowHz / _binWidth) - 1e-9);
            _lastBin[b] = Math.Min(_fftSize / 2, (int)Math.Ceiling((band.HighHz / _binWidth) - 1e-9) - 1);
            if (_lastBin[b] < _firstBin[b])
            {
                throw new ArgumentException($"band {band.LowHz}–{band.HighHz} Hz holds no frequency bin of a {_fftSize}-point spectrum ({_binWidth:0.###} Hz bins); widen it or lengthen the window.", nameof(bands));
            }
        }

        string prefix = log ? "logbp" : "bp";
        FeatureNames = _bands.SelectMany(b => channels.Select(c => $"{prefix}{b.Tag}_{c}")).ToArray();
        ChannelCount = channels.Count;
    }

    /// <summary>Channels.</summary>
    public int ChannelCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public void Extract(WindowContext window, Span<double> destination)
    {
        if (window.Samples != _samples || window.Channels != ChannelCount)
        {
            throw new ArgumentException($"band power was built for {ChannelCount} × {_samples} windows, got {window.Channels} × {window.Samples}.", nameof(window));
        }

        var samples = window.AlignedSamples;
        int c = ChannelCount;
        for (int ch = 0; ch < c; ch++)
        {
            var x = samples.Slice(ch * _samples, _samples);
            double mean = 0;
            for (int n = 0; n < _samples; n++)
            {
                mean += x[n];
            }

            mean /= _samples; // detrend='constant', as scipy.signal.periodogram
            for (int n = 0; n < _samples; n++)
            {
                _input[n] = (x[n] - mean) * _window[n];
            }

            Array.Clear(_input, _samples, _fftSize - _samples);
            _fft.Direct(_input, _re, _im);
            for (int b = 0; b < _bands.Length; b++)
            {
                double power = 0;
                for (int k = _firstBin[b]; k <= _lastBin[b]; k++)
                {
                    double density = ((_re[k] * _re[k]) + (_im[k] * _im[k])) * _psdScale;
                    if (k != 0 && k != _fftSize / 2)
                    {
                        density *= 2; // one-sided
                    }

                    power += density;
                }

                power *= _binWidth;
                destination[(b * c) + ch] = _log ? Math.Log(Math.Max(power, 1e-12)) : power;
            }
        }
    }
}
