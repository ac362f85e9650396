using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Features;

/// <summary>
/// One window as feature extractors see it, after alignment: the aligned, centred spatial
/// covariance (always), and the aligned samples (computed on first request). Buffers are reused
/// from window to window; nothing is valid after the next window is loaded.
/// </summary>
public sealed class WindowContext
{
    private readonly double[] _raw;
    private readonly double[] _aligned;
    private readonly double[] _whitening;
    private bool _hasWhitening;
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
        _whitening = new double[channels * channels];
        Mean = new double[channels];
        RawCovariance = new double[channels * channels];
        SecondMoment = new double[channels * channels];
        Covariance = new double[channels * channels];
        Centered = new double[channels * samples];
        Scratch = new double[channels * channels];
    }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Samples per channel.</summary>
    public int Samples { get; }

    /// <summary>Sample rate of the window, Hz.</summary>
    public double SampleRateHz { get; }

    /// <summary>Channel means of the unaligned window.</summary>
    public double[] Mean { get; }

    /// <summary>Centred covariance of the unaligned window, channels × channels.</summary>
    public double[] RawCovariance { get; }

    /// <summary>Uncentred second moment X·Xᵀ/n of the unaligned window (what alignment averages).</summary>
    public double[] SecondMoment { get; }

    /// <summary>Centred covariance of the aligned window, W·Σ·Wᵀ (Σ itself without alignment), channels × channels.</summary>
    public double[] Covariance { get; }

    /// <summary>Scratch space of channels × channels for extractors (contents undefined between calls).</summary>
    internal double[] Scratch { get; }

    private double[] Centered { get; }

    /// <summary>Loads a window (channels × samples, channel-major) and computes its covariances.</summary>
    public void Load(ReadOnlySpan<double> window)
    {
        window[..(Channels * Samples)].CopyTo(_raw);
        SpatialCovariance.Compute(_raw, Channels, Samples, Mean, RawCovariance, Centered, SecondMoment);
        RawCovariance.CopyTo(Covariance, 0);
        _hasWhitening = false;
        _alignedReady = false;
    }

    /// <summary>Aligns the loaded window with R^-1/2 (n × n): the covariance becomes W·Σ·Wᵀ.</summary>
    public void Align(ReadOnlySpan<double> whitening)
    {
        whitening[..(Channels * Channels)].CopyTo(_whitening);
        _hasWhitening = true;
        _alignedReady = false;
        Matrices.Congruence(_whitening, RawCovariance, Covariance, Scratch, Channels, Channels);
    }

    /// <summary>The aligned samples W·X (the raw samples when not aligned), channels × samples, channel-major.</summary>
    public ReadOnlySpan<double> AlignedSamples
    {
        get
        {
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
}
