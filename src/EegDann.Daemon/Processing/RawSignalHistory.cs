using System.Numerics;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The most recent raw samples of a stream (source channels and rate, sample-major, µV) in a
/// ring: the fail-safe's flat/saturation checks read windows from it, and a model swap primes the
/// new model's filters from it. Fixed memory; no allocation after construction.
/// </summary>
/// <remarks>
/// With <c>blockSamples</c> B &gt; 0 the history also keeps every channel's minimum and maximum
/// over each block of B samples (blocks start at multiples of B), updated as samples arrive, so
/// the check of a window whose ends fall on block boundaries (the window grid, B = the stride)
/// reads window ÷ B block summaries instead of every sample: O(stride) per window. Minima and
/// maxima are exact, so the answer is the sample-by-sample scan's.
/// </remarks>
internal sealed class RawSignalHistory
{
    private readonly float[] _ring;
    private readonly float[] _min;
    private readonly float[] _max;
    private readonly int _padded;
    private readonly float[] _blockMin;
    private readonly float[] _blockMax;
    private readonly int _blockCapacity;
    private long _streamStart;

    /// <summary>Creates an empty history.</summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="capacity">Samples kept.</param>
    /// <param name="blockSamples">B: samples per block of the minimum/maximum summaries, or 0 for none (every check scans its samples).</param>
    public RawSignalHistory(int channels, int capacity, int blockSamples = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(blockSamples);
        Channels = channels;
        Capacity = capacity;
        BlockSamples = blockSamples;
        _ring = new float[channels * capacity];
        _padded = (channels + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        _min = new float[_padded];
        _max = new float[_padded];

        // A block's slot is reused only after the history has moved more than its capacity past it.
        _blockCapacity = blockSamples > 0 ? (capacity / blockSamples) + 2 : 0;
        _blockMin = new float[_blockCapacity * _padded];
        _blockMax = new float[_blockCapacity * _padded];
    }

    /// <summary>B: samples per block of the minimum/maximum summaries (0: none).</summary>
    public int BlockSamples { get; }

    /// <summary>Channels per sample.</summary>
    public int Channels { get; }

    /// <summary>Samples kept.</summary>
    public int Capacity { get; }

    /// <summary>Stream index one past the newest sample.</summary>
    public long EndIndex { get; private set; }

    /// <summary>Stream index of the oldest sample held.</summary>
    public long StartIndex { get; private set; }

    /// <summary>Forgets everything; the next sample will have index <paramref name="index"/>.</summary>
    public void Restart(long index)
    {
        StartIndex = index;
        EndIndex = index;
        _streamStart = index;
    }

    /// <summary>Appends samples that continue the history (at most <see cref="Capacity"/>).</summary>
    public void Append(ReadOnlySpan<float> samples, int count, long firstIndex)
    {
        if (firstIndex != EndIndex)
        {
            Restart(firstIndex);
        }

        if (count > Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"append at most {Capacity} samples at a time.");
        }

        int c = Channels;
        for (int s = 0; s < count; s++)
        {
            long index = firstIndex + s;
            var row = samples.Slice(s * c, c);
            row.CopyTo(_ring.AsSpan((int)(index % Capacity) * c, c));
            if (BlockSamples > 0)
            {
                Summarise(row, index);
            }
        }

        EndIndex = firstIndex + count;
        StartIndex = Math.Max(StartIndex, EndIndex - Capacity);
    }

    /// <summary>The samples from <paramref name="start"/> to <paramref name="end"/> (clipped to what is held), in up to two contiguous pieces.</summary>
    public (ReadOnlyMemory<float> First, ReadOnlyMemory<float> Second, long Start) Range(long start, long end)
    {
        start = Math.Max(start, StartIndex);
        end = Math.Min(end, EndIndex);
        if (end <= start)
        {
            return (ReadOnlyMemory<float>.Empty, ReadOnlyMemory<float>.Empty, start);
        }

        int c = Channels;
        int from = (int)(start % Capacity);
        long count = end - start;
        int firstCount = (int)Math.Min(count, Capacity - from);
        var first = new ReadOnlyMemory<float>(_ring, from * c, firstCount * c);
        var second = new ReadOnlyMemory<float>(_ring, 0, (int)(count - firstCount) * c);
        return (first, second, start);
    }

    /// <summary>
    /// Peak-to-peak check of <paramref name="channels"/> over samples [<paramref name="start"/>,
    /// <paramref name="end"/>): the first channel that is flat (peak-to-peak below
    /// <paramref name="flat"/>) or saturated (|x| ≥ <paramref name="saturation"/>), or -1.
    /// </summary>
    /// <returns>The channel index and whether it is saturated (else flat).</returns>
    public (int Channel, bool Saturated) FindBadChannel(long start, long end, ReadOnlySpan<int> channels, float flat, float saturation)
    {
        var (first, second, _) = Range(start, end);
        if (first.IsEmpty)
        {
            return (-1, false);
        }

        var min = _min.AsSpan();
        var max = _max.AsSpan();
        min.Fill(float.PositiveInfinity);
        max.Fill(float.NegativeInfinity);
        start = Math.Max(start, StartIndex);
        end = Math.Min(end, EndIndex);
        long b = BlockSamples;
        long firstBlock = b > 0 ? (start + b - 1) / b : 0;
        long endBlock = b > 0 ? end / b : 0;
        if (endBlock > firstBlock)
        {
            // Whole blocks from their summaries (each lies within what is held, so its samples all
            // arrived since the last restart and its slot is not reused yet); the ends sample by sample.
            AccumulateRange(start, firstBlock * b, min, max);
            for (long block = firstBlock; block < endBlock; block++)
            {
                int slot = (int)(block % _blockCapacity) * _padded;
                Combine(_blockMin.AsSpan(slot, _padded), _blockMax.AsSpan(slot, _padded), min, max);
            }

            AccumulateRange(endBlock * b, end, min, max);
        }
        else
        {
            Accumulate(first.Span, min, max);
            Accumulate(second.Span, min, max);
        }

        foreach (int ch in channels)
        {
            if (max[ch] >= saturation || min[ch] <= -saturation)
            {
                return (ch, true);
            }

            if (max[ch] - min[ch] < flat)
            {
                return (ch, false);
            }
        }

        return (-1, false);
    }

    /// <summary>Folds sample <paramref name="index"/> into its block's summary (the first sample of a block, or of the stream, starts it).</summary>
    private void Summarise(ReadOnlySpan<float> row, long index)
    {
        long block = index / BlockSamples;
        int slot = (int)(block % _blockCapacity) * _padded;
        var min = _blockMin.AsSpan(slot, Channels);
        var max = _blockMax.AsSpan(slot, Channels);
        if (index % BlockSamples == 0 || index == _streamStart)
        {
            row.CopyTo(min);
            row.CopyTo(max);
            return;
        }

        Accumulate(row, min, max);
    }

    private void AccumulateRange(long start, long end, Span<float> min, Span<float> max)
    {
        var (first, second, _) = Range(start, end);
        Accumulate(first.Span, min, max);
        Accumulate(second.Span, min, max);
    }

    private static void Combine(ReadOnlySpan<float> blockMin, ReadOnlySpan<float> blockMax, Span<float> min, Span<float> max)
    {
        int width = Vector<float>.Count;
        for (int k = 0; k < min.Length; k += width)
        {
            Vector.Min(new Vector<float>(min[k..]), new Vector<float>(blockMin[k..])).CopyTo(min[k..]);
            Vector.Max(new Vector<float>(max[k..]), new Vector<float>(blockMax[k..])).CopyTo(max[k..]);
        }
    }

    private void Accumulate(ReadOnlySpan<float> rows, Span<float> min, Span<float> max)
    {
        // Sample-major rows: the channel minima and maxima advance a vector of channels at a time.
        int c = Channels;
        int width = Vector<float>.Count;
        int vectorEnd = c / width * width;
        for (int offset = 0; offset < rows.Length; offset += c)
        {
            var row = rows.Slice(offset, c);
            int k = 0;
            for (; k < vectorEnd; k += width)
            {
                var v = new Vector<float>(row[k..]);
                Vector.Min(new Vector<float>(min[k..]), v).CopyTo(min[k..]);
                Vector.Max(new Vector<float>(max[k..]), v).CopyTo(max[k..]);
            }

            for (; k < c; k++)
            {
                min[k] = Math.Min(min[k], row[k]);
                max[k] = Math.Max(max[k], row[k]);
            }
        }
    }
}
