using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.LinearAlgebra;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Features;

/// <summary>
/// Sliding windows as the log-variance features see them, computed in proportion to the stride:
/// every filtered sample is aligned once as it arrives (y = W·x per band, with a fixed R^-1/2) and
/// added to running sums of y and y², and the samples that leave the window are subtracted, so a
/// window costs stride × channels² (the alignment) instead of length × channels² + channels³ (the
/// window's covariance and W·Σ·Wᵀ). The window grid is that of
/// <see cref="Segmentation.SlidingWindower"/> (starts at k·stride, anchored at index 0).
/// </summary>
/// <remarks>
/// <para>Numerics. The sums are kept in double around a per-channel reference r (the mean of the
/// window at the last exact recomputation, or the first sample after a restart), so the variance
/// Σ(y − r)²/L − (Σ(y − r)/L)² does not cancel catastrophically when a channel has an offset.
/// Every <see cref="RecomputeEveryWindows"/> windows (one window length) the sums of the samples
/// then in the window are recomputed exactly from the aligned samples kept, so rounding from the
/// additions and subtractions cannot build up: between two recomputations at most
/// 2 × length samples are added or removed. The result equals the batch path's two-pass
/// variance of W·Σ·Wᵀ's diagonal to about 1e-13 relative on EEG (tests pin ≤ 1e-9).</para>
/// <para>An alignment estimated from the stream (<see cref="OnlineEuclideanAlignment"/>) is followed
/// the same way: when a window is complete, the samples it brings that no earlier window brought (one
/// stride's, or the whole window after a start or a restart) are summed into their outer products
/// Σ x·xᵀ (per band, <see cref="OnlineEuclideanAlignment.Accumulate"/>) join the estimate, before the window is aligned;
/// nothing else is summed per window (the windows' own second moments are never formed). Only when that
/// changes R^-1/2 of a band (every band at the end of the
/// warm-up, then each band every <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows, the bands in turn)
/// is that band of the current window aligned again with its new R^-1/2 and the sums recomputed exactly; in between a window costs in
/// proportion to the stride, as with a fixed alignment. The sums of outer products are the whole-window
/// path's bit for bit (the same samples in the same order through <see cref="OuterProducts"/>), the variances equal its to
/// rounding (about 1e-13 relative).</para>
/// <para>Every sample goes through the same arithmetic in the same order whatever the chunking,
/// so a stream chunked any way gives bit-identical variances. No allocation after construction.
/// Not thread-safe: one stream, one caller.</para>
/// </remarks>
public sealed partial class SlidingVariances : Segmentation.ISegmenter
{
    private readonly int _bands;
    private readonly int _channels;
    private readonly int _width;
    private readonly double[]? _whitening;
    private readonly OnlineEuclideanAlignment? _online;
    private readonly double[]? _newSamples;
    private readonly double[] _ring;
    private readonly int _capacity;
    private readonly double[] _reference;
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private readonly double[] _variances;
    private readonly IWindowVarianceSink _sink;
    private long _nextStart;

    /// <summary>One past the last sample the alignment estimate has observed since the last restart, or −1.</summary>
    private long _observedEnd = -1;
    private long _seen;
    private bool _needsReference = true;
    private int _sinceExact;
    private long _alignedEnd;
    private readonly long[]? _bandUpdatesSeen;
    private readonly BandRealignment[]? _realignments;
    private long _restarts;
    private SignalHistory? _history;

    /// <summary>Creates the stage.</summary>
    /// <param name="bands">Bands per sample (1 without a filter bank); a sample holds bands × channels values, band-major.</param>
    /// <param name="channels">n: channels per band.</param>
    /// <param name="length">Window length, samples, &gt; 0.</param>
    /// <param name="stride">Samples between window starts, &gt; 0.</param>
    /// <param name="whitening">R^-1/2 per band (bands × n × n, row-major), or null for unaligned windows.</param>
    /// <param name="sink">Receives each window's variances.</param>
    public SlidingVariances(int bands, int channels, int length, int stride, ReadOnlySpan<double> whitening, IWindowVarianceSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentNullException.ThrowIfNull(sink);
        if (!whitening.IsEmpty && whitening.Length != bands * channels * channels)
        {
            throw new ArgumentException($"the whitening has {whitening.Length} values, {bands} band(s) of {channels} × {channels} need {bands * channels * channels}.", nameof(whitening));
        }

        _bands = bands;
        _channels = channels;
        _width = bands * channels;
        _whitening = whitening.IsEmpty ? null : whitening.ToArray();
        Grid = new Segmentation.WindowGrid(length, stride);
        // A block of up to AheadSamples is aligned before the window arithmetic reads it: the
        // ring must still hold the current window then.
        _capacity = length + AheadSamples;
        _ring = new double[_capacity * _width];
        _reference = new double[_width];
        _sum = new double[_width];
        _sumSquares = new double[_width];
        _variances = new double[_width];
        _sink = sink;
        RecomputeEveryWindows = Math.Max(1, length / stride);
    }

    /// <summary>Creates the stage for an alignment estimated from the stream (see the remarks).</summary>
    /// <param name="bands">Bands per sample (1 without a filter bank); a sample holds bands × channels values, band-major.</param>
    /// <param name="channels">n: channels per band.</param>
    /// <param name="length">Window length, samples, &gt; 0.</param>
    /// <param name="stride">Samples between window starts, &gt; 0.</param>
    /// <param name="alignment">The running estimate: every window's second moments are observed in order, and its current R^-1/2 aligns the window.</param>
    /// <param name="sink">Receives each window's variances (read <see cref="OnlineEuclideanAlignment.IsWarm"/> there).</param>
    public SlidingVariances(int bands, int channels, int length, int stride, OnlineEuclideanAlignment alignment, IWindowVarianceSink sink)
        : this(bands, channels, length, stride, (alignment ?? throw new ArgumentNullException(nameof(alignment))).Whitening, sink)
    {
        if (alignment.Bands != bands || alignment.ChannelCount != channels)
        {
            throw new ArgumentException($"the alignment has {alignment.Bands} band(s) of {alignment.ChannelCount} channels, the stage {bands} of {channels}.", nameof(alignment));
        }

        _online = alignment;
        _bandUpdatesSeen = new long[bands];
        for (int b = 0; b < bands; b++)
        {
            _bandUpdatesSeen[b] = alignment.UpdatesOf(b);
        }

        if (alignment.Worker != null)
        {
            _realignments = new BandRealignment[bands];
            for (int b = 0; b < bands; b++)
            {
                _realignments[b] = new BandRealignment(alignment, b, channels, length);
            }
        }

        _newSamples = new double[length * channels];
    }

    /// <summary>Whether an alignment estimated from the stream is followed (else the whitening is fixed).</summary>
    public bool FollowsAlignment => _online != null;

    /// <summary>Samples aligned ahead of the window arithmetic in one block.</summary>
    private const int AheadSamples = 32;

    /// <summary>The grid the windows are cut on.</summary>
    public Segmentation.WindowGrid Grid { get; }

    /// <summary>Window length, samples.</summary>
    public int Length => Grid.Length;

    /// <summary>Samples between window starts.</summary>
    public int Stride => Grid.Stride;

    /// <summary>Windows between two exact recomputations of the running sums (one window length).</summary>
    public int RecomputeEveryWindows { get; }

    /// <summary>Windows emitted since construction.</summary>
    public long WindowCount { get; private set; }

    /// <remarks>Following a stream-estimated alignment, the history must keep the current window (it is aligned again when R^-1/2 changes).</remarks>
    /// <inheritdoc />
    public int MaxSegmentLength => _online is null ? 1 : Length;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnAppended(SignalHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.ChannelCount != _width)
        {
            throw new InvalidOperationException($"the variance stage was built for {_width} channels, the stream has {history.ChannelCount}.");
        }

        if (history.StartIndex > _seen)
        {
            // Samples that were never seen (the history moved on): no window can span them.
            Restart(history.StartIndex);
        }

        _history = history;
        for (long from = _seen; from < history.EndIndex; from += AheadSamples)
        {
            // A block of new samples is aligned first, band by band (each band's W stays in cache
            // for the whole block), then the window arithmetic runs over it sample by sample.
            long to = Math.Min(history.EndIndex, from + AheadSamples);
            AlignBlock(history, Math.Max(from, _nextStart), to);
            _alignedEnd = to;
            for (long index = from; index < to; index++)
            {
                if (index < _nextStart)
                {
                    continue;
                }

                var y = Slot(index);
                if (_needsReference)
                {
                    y.CopyTo(_reference);
                    _needsReference = false;
                }

                Add(y, 1.0);

                if (index + 1 == _nextStart + Length)
                {
                    Emit();
                }
            }
        }

        _seen = Math.Max(_seen, history.EndIndex);
    }

    /// <inheritdoc />
    public void Restart(long index)
    {
        _nextStart = Grid.FirstStartAtOrAfter(index);
        _seen = index;
        _needsReference = true;
        _sinceExact = 0;
        Array.Clear(_sum);
        Array.Clear(_sumSquares);
        _observedEnd = -1;
        _restarts++;
    }

    private Span<double> Slot(long index) => _ring.AsSpan((int)(index % _capacity) * _width, _width);

    private void Emit()
    {
        if (_online != null)
        {
            Observe();
        }

        double inverse = 1.0 / Length;
        for (int i = 0; i < _width; i++)
        {
            double mean = _sum[i] * inverse;
            _variances[i] = Math.Max(0.0, (_sumSquares[i] * inverse) - (mean * mean));
        }

        WindowCount++;
        _sink.OnWindow(_nextStart, _variances);

        // Slide: the first stride of this window leaves.
        long leaveEnd = _nextStart + Stride;
        long end = _nextStart + Length;
        if (++_sinceExact >= RecomputeEveryWindows || leaveEnd >= end)
        {
            _nextStart = leaveEnd;
            Recompute(leaveEnd, end);
            _sinceExact = 0;
        }
        else
        {
            for (long index = _nextStart; index < leaveEnd; index++)
            {
                Add(Slot(index), -1.0);
            }

            _nextStart = leaveEnd;
        }
    }

    /// <summary>Recomputes the sums of the samples [<paramref name="start"/>, <paramref name="end"/>) exactly, around their mean.</summary>
    private void Recompute(long start, long end)
    {
        if (end <= start)
        {
            Array.Clear(_sum);
            Array.Clear(_sumSquares);
            _needsReference = true;
            return;
        }

        Recompute(start, end, 0, _width);
    }

    /// <summary>Recomputes the sums of values [<paramref name="first"/>, <paramref name="end"/>) of the samples [<paramref name="start"/>, <paramref name="stop"/>) exactly, around their mean; the other values' sums are left as they are.</summary>
    private void Recompute(long start, long stop, int first, int end)
    {
        var sum = _sum.AsSpan(first, end - first);
        var squares = _sumSquares.AsSpan(first, end - first);
        var reference = _reference.AsSpan(first, end - first);
        squares.Clear();
        Mean(start, stop, first, end, sum, reference);
        sum.Clear();
        for (long index = start; index < stop; index++)
        {
            Add(Slot(index).Slice(first, end - first), reference, sum, squares, 1.0);
        }
    }

    /// <summary><paramref name="reference"/> ← the mean of values [<paramref name="first"/>, <paramref name="end"/>) of the samples [<paramref name="start"/>, <paramref name="stop"/>) (<paramref name="sum"/> is scratch).</summary>
    private void Mean(long start, long stop, int first, int end, Span<double> sum, Span<double> reference)
    {
        sum.Clear();
        for (long index = start; index < stop; index++)
        {
            AddValues(Slot(index).Slice(first, end - first), sum);
        }

        ToMean(sum, stop - start, reference);
    }

    /// <summary><paramref name="sum"/> += <paramref name="y"/>, entry by entry, several entries per instruction (each entry's additions in the order of the calls, as one at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddValues(ReadOnlySpan<double> y, Span<double> sum)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vs = MemoryMarshal.Cast<double, Vector<double>>(sum);
            for (int k = 0; k < vy.Length; k++)
            {
                vs[k] += vy[k];
            }

            i = vy.Length * Vector<double>.Count;
        }

        for (; i < y.Length; i++)
        {
            sum[i] += y[i];
        }
    }

    /// <summary><paramref name="mean"/> ← <paramref name="sum"/> / <paramref name="count"/>, as sum × (1 / count).</summary>
    private static void ToMean(ReadOnlySpan<double> sum, long count, Span<double> mean)
    {
        double inverse = 1.0 / count;
        for (int i = 0; i < sum.Length; i++)
        {
            mean[i] = sum[i] * inverse;
        }
    }

    /// <summary>Adds (sign +1) or removes (sign −1) one aligned sample: sums of y − r and (y − r)².</summary>
    private void Add(ReadOnlySpan<double> y, double sign) => Add(y, _reference, _sum, _sumSquares, sign);

    /// <summary><paramref name="sum"/> += sign·(y − r), <paramref name="squares"/> += sign·(y − r)², entry by entry (all of a sample, or one band's values of it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add(ReadOnlySpan<double> y, ReadOnlySpan<double> reference, Span<double> sum, Span<double> squares, double sign)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vr = MemoryMarshal.Cast<double, Vector<double>>(reference);
            var vs = MemoryMarshal.Cast<double, Vector<double>>(sum);
            var vq = MemoryMarshal.Cast<double, Vector<double>>(squares);
            var s = new Vector<double>(sign);
            for (int k = 0; k < vy.Length; k++)
            {
                var d = vy[k] - vr[k];
                vs[k] += s * d;
                vq[k] += s * (d * d);
            }

            i = vy.Length * Vector<double>.Count;
        }

        for (; i < y.Length; i++)
        {
            double d = y[i] - reference[i];
            sum[i] += sign * d;
            squares[i] += sign * (d * d);
        }
    }

    /// <summary>
    /// Aligns samples [<paramref name="from"/>, <paramref name="to"/>) of the history into their
    /// ring slots: y = W·x band by band (a copy without alignment), band-outer so one band's W is
    /// read for the whole block, two samples at a time (<see cref="MatrixVector.MultiplyPair"/>).
    /// </summary>
    private void AlignBlock(SignalHistory history, long from, long to) => AlignBlock(history, from, to, 0, _bands);

    /// <summary>Aligns bands [<paramref name="firstBand"/>, <paramref name="endBand"/>) of samples [<paramref name="from"/>, <paramref name="to"/>) (see the other overload).</summary>
    private void AlignBlock(SignalHistory history, long from, long to, int firstBand, int endBand)
    {
        if (to <= from)
        {
            return;
        }

        if (_whitening is null)
        {
            for (long index = from; index < to; index++)
            {
                history.Sample(index)[.._width].CopyTo(Slot(index));
            }

            return;
        }

        int n = _channels, block = n * n;
        for (int b = firstBand; b < endBand; b++)
        {
            var w = _whitening.AsSpan(b * block, block);
            long index = from;
            for (; index + 2 <= to; index += 2)
            {
                var x0 = history.Sample(index).Slice(b * n, n);
                var x1 = history.Sample(index + 1).Slice(b * n, n);
                MatrixVector.MultiplyPair(w, x0, x1, Slot(index).Slice(b * n, n), Slot(index + 1).Slice(b * n, n), n);
            }

            if (index < to)
            {
                MatrixVector.Multiply(w, history.Sample(index).Slice(b * n, n), Slot(index).Slice(b * n, n), n);
            }
        }
    }
}
