using System.Numerics;
using System.Runtime.InteropServices;

namespace EegDann.Dsp.Resampling;

/// <summary>
/// Streaming rational resampler (polyphase FIR), one history per channel: a stream pushed in
/// chunks of any sizes gives exactly the samples of the stream resampled in one piece, and a whole
/// recording resampled and completed equals SciPy's <c>resample_poly</c> (zero padding).
/// </summary>
/// <remarks>
/// Output sample m estimates the input at time m·M/L (in input samples): the filter is centred, so
/// sample indices keep meaning the same instant at both rates (event sample = round(onset·fs) at
/// either rate). The price is latency: output m needs input up to ⌊(m·M + H)/L⌋, H = half the
/// filter length, i.e. about 10 input samples at the lower rate. Input before the stream's first
/// sample counts as zero; <see cref="Complete"/> flushes the tail with zeros after the last sample.
/// </remarks>
public sealed class PolyphaseResampler
{
    private readonly ResamplerDesign _design;
    private readonly int _channels;
    private readonly double[] _buffer;   // sample-major input history
    private readonly int _capacity;      // samples the buffer holds
    private readonly double[] _accumulator;
    private long _bufferStart;           // stream index of _buffer's first sample
    private int _bufferCount;
    private long _inputEnd;              // one past the last input sample received
    private long _streamStart;           // first input index of the stream (earlier input is zero)
    private long _nextOutput;
    private bool _completed;

    /// <summary>Creates a resampler for a stream starting at input index 0.</summary>
    /// <param name="design">Factors and taps.</param>
    /// <param name="channelCount">Channels per sample.</param>
    /// <param name="maxInputBlock">The most input samples one <see cref="Process"/> call may bring.</param>
    public PolyphaseResampler(ResamplerDesign design, int channelCount, int maxInputBlock)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputBlock);
        _design = design;
        _channels = channelCount;
        MaxInputBlock = maxInputBlock;
        _capacity = (design.Taps.Length / design.Up) + 2 + maxInputBlock;
        _buffer = new double[_capacity * channelCount];
        _accumulator = new double[channelCount];
        Restart(0);
    }

    /// <summary>The design.</summary>
    public ResamplerDesign Design => _design;

    /// <summary>The most input samples one call may bring.</summary>
    public int MaxInputBlock { get; }

    /// <summary>Stream index (output rate) of the next output sample.</summary>
    public long NextOutputIndex => _nextOutput;

    /// <summary>The most output samples one <see cref="Process"/> call of <see cref="MaxInputBlock"/> samples, or <see cref="Complete"/>, can produce.</summary>
    public int MaxOutputBlock => (int)(((long)Math.Max(MaxInputBlock, _capacity) * _design.Up / _design.Down) + 2);

    /// <summary>Starts a new stream whose first input sample has index <paramref name="firstInputIndex"/>.</summary>
    public void Restart(long firstInputIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstInputIndex);
        _streamStart = firstInputIndex;
        _bufferStart = firstInputIndex;
        _bufferCount = 0;
        _inputEnd = firstInputIndex;
        _nextOutput = CeilDiv(firstInputIndex * _design.Up, _design.Down);
        _completed = false;
    }

    /// <summary>Consumes input samples and writes every output sample that became computable.</summary>
    /// <param name="input">Sample-major input, at least <paramref name="sampleCount"/> × channels.</param>
    /// <param name="sampleCount">Input samples, ≤ <see cref="MaxInputBlock"/>.</param>
    /// <param name="output">Sample-major output space, at least <see cref="MaxOutputBlock"/> × channels.</param>
    /// <returns>Output samples written; the first has index <see cref="NextOutputIndex"/> before the call.</returns>
    public int Process(ReadOnlySpan<double> input, int sampleCount, Span<double> output)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the stream was completed; call Restart to begin another.");
        }

        if (sampleCount > MaxInputBlock)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, $"at most {MaxInputBlock} samples per call.");
        }

        Compact();
        input[..(sampleCount * _channels)].CopyTo(_buffer.AsSpan(_bufferCount * _channels));
        _bufferCount += sampleCount;
        _inputEnd += sampleCount;
        return Emit(output, flush: false);
    }

    /// <summary>Ends the stream: writes the remaining output samples (input after the end counts as zero), ⌈n·L/M⌉ in all.</summary>
    /// <param name="output">Sample-major output space, at least <see cref="MaxOutputBlock"/> × channels.</param>
    /// <returns>Output samples written.</returns>
    public int Complete(Span<double> output)
    {
        if (_completed)
        {
            return 0;
        }

        _completed = true;
        return Emit(output, flush: true);
    }

    private int Emit(Span<double> output, bool flush)
    {
        int L = _design.Up, M = _design.Down, H = _design.HalfLength, N = _design.Taps.Length;
        long outputEnd = CeilDiv(_inputEnd * L, M);
        int written = 0;
        while (_nextOutput < outputEnd)
        {
            long t = (_nextOutput * M) + H;
            long iHigh = FloorDiv(t, L);
            if (!flush && iHigh >= _inputEnd)
            {
                break;
            }

            long iLow = CeilDiv(t - N + 1, L);
            var acc = _accumulator.AsSpan();
            acc.Clear();
            for (long i = Math.Min(iHigh, _inputEnd - 1); i >= Math.Max(iLow, _streamStart); i--)
            {
                double tap = _design.Taps[t - (i * L)];
                var row = _buffer.AsSpan((int)(i - _bufferStart) * _channels, _channels);
                MultiplyAdd(acc, row, tap);
            }

            acc.CopyTo(output.Slice(written * _channels, _channels));
            written++;
            _nextOutput++;
        }

        return written;
    }

    private void Compact()
    {
        // Keep only the input the next output sample can still need.
        long t = (_nextOutput * _design.Down) + _design.HalfLength;
        long needed = Math.Max(_bufferStart, CeilDiv(t - _design.Taps.Length + 1, _design.Up));
        int drop = (int)Math.Min(needed - _bufferStart, _bufferCount);
        if (drop > 0)
        {
            _buffer.AsSpan(drop * _channels, (_bufferCount - drop) * _channels).CopyTo(_buffer);
            _bufferCount -= drop;
            _bufferStart += drop;
        }

        if (_bufferCount + MaxInputBlock > _capacity)
        {
            throw new InvalidOperationException("resampler history overflow (internal error).");
        }
    }

    private static void MultiplyAdd(Span<double> acc, ReadOnlySpan<double> row, double tap)
    {
        int c = acc.Length, i = 0;
        if (Vector.IsHardwareAccelerated && c >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(acc);
            var vr = MemoryMarshal.Cast<double, Vector<double>>(row);
            var vt = new Vector<double>(tap);
            for (int k = 0; k < va.Length; k++)
            {
                va[k] += vt * vr[k];
            }

            i = va.Length * Vector<double>.Count;
        }

        for (; i < c; i++)
        {
            acc[i] += tap * row[i];
        }
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
