namespace EegDann.Dsp.Streaming;

/// <summary>
/// The most recent filtered samples of a stream (a ring buffer, sample-major), from which epochs
/// and sliding windows are cut. Indices are stream sample indices at the pipeline's rate.
/// </summary>
public sealed class SignalHistory
{
    private readonly double[] _ring;

    /// <summary>Creates an empty history starting at index 0.</summary>
    /// <param name="channelCount">Channels per sample.</param>
    /// <param name="capacity">Samples retained.</param>
    public SignalHistory(int channelCount, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ChannelCount = channelCount;
        Capacity = capacity;
        _ring = new double[channelCount * capacity];
    }

    /// <summary>Channels per sample.</summary>
    public int ChannelCount { get; }

    /// <summary>Samples retained.</summary>
    public int Capacity { get; }

    /// <summary>Index of the first sample of the current stream (after the last restart).</summary>
    public long StreamStart { get; private set; }

    /// <summary>Index one past the newest sample.</summary>
    public long EndIndex { get; private set; }

    /// <summary>Index of the oldest retained sample.</summary>
    public long StartIndex => Math.Max(StreamStart, EndIndex - Capacity);

    /// <summary>Forgets everything; the next sample appended has index <paramref name="index"/>.</summary>
    public void Restart(long index)
    {
        StreamStart = index;
        EndIndex = index;
    }

    /// <summary>Appends <paramref name="sampleCount"/> samples (sample-major).</summary>
    public void Append(ReadOnlySpan<double> samples, int sampleCount)
    {
        int c = ChannelCount;
        for (int n = 0; n < sampleCount; n++)
        {
            int slot = (int)(EndIndex % Capacity);
            samples.Slice(n * c, c).CopyTo(_ring.AsSpan(slot * c, c));
            EndIndex++;
        }
    }

    /// <summary>The retained sample at <paramref name="index"/> (one row: <see cref="ChannelCount"/> values). Valid until the next append.</summary>
    /// <exception cref="InvalidOperationException">When the sample is not retained.</exception>
    public ReadOnlySpan<double> Sample(long index)
    {
        if (index < StartIndex || index >= EndIndex)
        {
            throw new InvalidOperationException($"sample {index} is not in the history (it holds {StartIndex}..{EndIndex - 1}).");
        }

        int c = ChannelCount;
        return _ring.AsSpan((int)(index % Capacity) * c, c);
    }

    /// <summary>Whether samples [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) are all retained.</summary>
    public bool Holds(long start, int length) => start >= StartIndex && start + length <= EndIndex;

    /// <summary>Copies samples [<paramref name="start"/>, +<paramref name="length"/>) channel-major (channels × length) into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">When the range is not retained.</exception>
    public void CopyChannelMajor(long start, int length, Span<double> destination)
    {
        if (!Holds(start, length))
        {
            throw new InvalidOperationException($"samples {start}..{start + length - 1} are not in the history (it holds {StartIndex}..{EndIndex - 1}).");
        }

        int c = ChannelCount;
        int slot = (int)(start % Capacity);
        for (int n = 0; n < length; n++)
        {
            var row = _ring.AsSpan(slot * c, c);
            for (int ch = 0; ch < c; ch++)
            {
                destination[(ch * length) + n] = row[ch];
            }

            if (++slot == Capacity)
            {
                slot = 0;
            }
        }
    }
}
