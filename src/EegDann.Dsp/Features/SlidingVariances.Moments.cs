// SlidingVariances following an alignment estimated from the stream: per stride a block of outer products,
// the window's running second moment and its exact recomputation, and the window aligned again when R^-1/2 changes.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.LinearAlgebra;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Features;

public sealed partial class SlidingVariances
{
    /// <summary>
    /// The window [_nextStart, _nextStart + Length) is complete: its second moment joins the
    /// estimate; when that recomputes R^-1/2 of a band, that band of the window (and of the samples
    /// aligned ahead of it) is aligned again and its sums recomputed.
    /// </summary>
    /// <remarks>
    /// With an <see cref="AlignmentWorker"/>, the samples of the window the new R^-1/2 will come into
    /// use at that are already here when the band is due (all but its last strides) are aligned with
    /// it on the worker, right after the recomputation: here they are copied into place and only the
    /// rest aligned. The same products in the same pairs of samples, so the same values bit for bit;
    /// after a restart, or when the R^-1/2 in use is not that recomputation's, all are aligned here.
    /// </remarks>
    private void Observe()
    {
        // The window's second moment X·Xᵀ/L, each entry the product the whole-window path forms.
        _online!.Observe(_moments, 1.0 / Length);
        int block = _channels * _channels, n = _channels;
        for (int b = 0; b < _bands; b++)
        {
            long updates = _online.UpdatesOf(b);
            if (updates != _bandUpdatesSeen![b])
            {
                // Only this band's values change: the other bands' sums go on as they were (their
                // exact recomputation stays on its own schedule).
                _bandUpdatesSeen[b] = updates;
                _online.Whitening.Slice(b * block, block).CopyTo(_whitening.AsSpan(b * block, block));
                long start = _nextStart, from = start;
                int prefix = RealignedPrefix;
                var sum = _sum.AsSpan(b * n, n);
                var squares = _sumSquares.AsSpan(b * n, n);
                var reference = _reference.AsSpan(b * n, n);
                bool summed = false;
                if (_realignments?[b] is { } done && done.Matches(_online.InUseJobOf(b), start, _restarts))
                {
                    done.Wait();
                    if (!done.Failed)
                    {
                        for (long index = done.From; index < done.To; index++)
                        {
                            done.Sample(index).CopyTo(Slot(index).Slice(b * n, n));
                        }

                        from = done.To;
                        if (done.To - done.From == prefix)
                        {
                            done.Reference.CopyTo(reference);
                            done.Sum.CopyTo(sum);
                            done.Squares.CopyTo(squares);
                            summed = true;
                        }
                    }
                }

                AlignBlock(_history!, from, _alignedEnd, b, b + 1);

                // The band's sums again, exactly, around the mean of the window's first `prefix` samples (those the
                // worker aligns when there is one, which also sums them there): the same additions in the same order
                // either way, then the window's last samples here.
                if (!summed)
                {
                    Recompute(start, start + prefix, b * n, (b + 1) * n);
                }

                for (long index = start + prefix; index < start + Length; index++)
                {
                    Add(Slot(index).Slice(b * n, n), reference, sum, squares, 1.0);
                }
            }
        }

        if (_realignments is null)
        {
            return;
        }

        for (int b = 0; b < _bands; b++)
        {
            long job = _online.PendingJobOf(b);
            var realignment = _realignments[b];
            if (job > 0 && job != realignment.Job)
            {
                // Due now: its window comes InUseLag strides later; the samples of it here now are aligned on the worker.
                // A whole number of pairs, as the control thread would pair them (MultiplyPair from the window's start).
                long start = _nextStart + ((long)_online.InUseLag * Stride), end = _nextStart + Length;
                end -= (end - start) & 1;
                realignment.Wait();
                realignment.Prepare(job, _history!, start, Math.Max(start, end), _restarts);
                realignment.Start();
                if (!_online.Worker!.TryPost(realignment))
                {
                    realignment.Run();
                }
            }
        }
    }

    /// <summary>
    /// One band's samples of a coming window aligned with its new R^-1/2 on the worker (after the
    /// recomputation, which was posted first), into a buffer of its own. Reads the history while the
    /// control thread appends to it: the samples read are within the window the control thread keeps
    /// until that R^-1/2 is in use, and a restart in between makes the result unused.
    /// </summary>
    private sealed class BandRealignment(OnlineEuclideanAlignment alignment, int band, int n, int length) : AwaitedAlignmentJob
    {
        private readonly double[] _aligned = new double[length * n];
        private readonly double[] _reference = new double[n];
        private readonly double[] _sum = new double[n];
        private readonly double[] _squares = new double[n];
        private SignalHistory? _history;
        private long _restarts;

        /// <summary>The recomputation it follows (−1: none yet).</summary>
        public long Job { get; private set; } = -1;

        /// <summary>First sample aligned.</summary>
        public long From { get; private set; }

        /// <summary>One past the last sample aligned.</summary>
        public long To { get; private set; }

        public void Prepare(long job, SignalHistory history, long from, long to, long restarts)
        {
            Job = job;
            _history = history;
            From = from;
            To = to;
            _restarts = restarts;
        }

        /// <summary>Whether this is the realignment for the R^-1/2 now in use and the window now cut.</summary>
        public bool Matches(long inUseJob, long windowStart, long restarts) => Job > 0 && inUseJob == Job && windowStart == From && restarts == _restarts;

        /// <summary>The aligned sample <paramref name="index"/> (n values of the band).</summary>
        public ReadOnlySpan<double> Sample(long index) => _aligned.AsSpan((int)(index - From) * n, n);

        /// <summary>The mean of the aligned samples (the band's reference; see <see cref="RealignedPrefix"/>).</summary>
        public ReadOnlySpan<double> Reference => _reference;

        /// <summary>The sum of the aligned samples' deviations from <see cref="Reference"/>.</summary>
        public ReadOnlySpan<double> Sum => _sum;

        /// <summary>The sum of their squares.</summary>
        public ReadOnlySpan<double> Squares => _squares;

        protected override void Execute()
        {
            var w = alignment.WorkerResult(band);
            var history = _history!;
            // To − From is even (see Observe): whole pairs only.
            for (long index = From; index + 2 <= To; index += 2)
            {
                var x0 = history.Sample(index).Slice(band * n, n);
                var x1 = history.Sample(index + 1).Slice(band * n, n);
                MatrixVector.MultiplyPair(w, x0, x1, _aligned.AsSpan((int)(index - From) * n, n), _aligned.AsSpan((int)(index + 1 - From) * n, n), n);
            }

            // Their sums around their mean: Recompute's steps over this buffer (the control thread runs Recompute over the
            // same samples in its ring when there is no worker result), so the same additions in the same order.
            Array.Clear(_squares);
            Array.Clear(_sum);
            if (To <= From)
            {
                return;
            }

            for (long index = From; index < To; index++)
            {
                AddValues(Sample(index), _sum);
            }

            ToMean(_sum, To - From, _reference);
            Array.Clear(_sum);
            for (long index = From; index < To; index++)
            {
                Add(Sample(index), _reference, _sum, _squares, 1.0);
            }
        }
    }

    /// <summary>
    /// After a new R^-1/2, a band's sums are centred on the mean of the window's first samples: all but the
    /// last <see cref="OnlineEuclideanAlignment.InUseLag"/> strides (an even count: the samples the worker aligns,
    /// which were there when the band was due), or the whole window when that leaves none.
    /// </summary>
    private int RealignedPrefix
    {
        get
        {
            int prefix = (Length - (_online!.InUseLag * Stride)) & ~1;
            return prefix > 0 ? prefix : Length;
        }
    }

    /// <summary>The outer products of the stride block starting at <paramref name="start"/> (bands × n × n).</summary>
    private Span<double> Block(long start)
    {
        int matrices = _bands * _channels * _channels;
        return _blocks.AsSpan((int)((start / Stride) % _blockCount) * matrices, matrices);
    }

    /// <summary>Sums the outer products x·xᵀ (per band) of the stride block starting at <paramref name="start"/> into its slot and adds them to the window's running sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddBlock(SignalHistory history, long start)
    {
        var block = Block(start);
        int n = _channels, size = n * n;
        var x = _blockSamples!;
        for (int b = 0; b < _bands; b++)
        {
            for (int s = 0; s < Stride; s++)
            {
                history.Sample(start + s).Slice(b * n, n).CopyTo(x.AsSpan(s * n, n));
            }

            SumOfOuterProducts(x, Stride, n, block.Slice(b * size, size));
        }

        if (_leaving >= 0)
        {
            // The block that left at the last slide goes now, in the same pass: (m − old) + new,
            // the same two roundings as subtracting then adding.
            SubtractAdd(_moments!, Block(_leaving), block);
            _leaving = -1;
        }
        else
        {
            Matrices.AddScaled(_moments!, block, 1.0);
        }

        if (_nextMomentsFrom >= 0 && start >= _nextMomentsFrom)
        {
            // The next exact recomputation's sum, block by block as they arrive (see RecomputeMoments):
            // its first block is copied (0 + x is x), the others added.
            if (_nextMomentsEmpty)
            {
                block.CopyTo(_nextMoments);
                _nextMomentsEmpty = false;
            }
            else
            {
                Matrices.AddScaled(_nextMoments!, block, 1.0);
            }
        }
    }

    /// <summary>m ← (m − leaving) + arriving, entry by entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractAdd(Span<double> m, ReadOnlySpan<double> leaving, ReadOnlySpan<double> arriving)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = MemoryMarshal.Cast<double, Vector<double>>(m);
            var vl = MemoryMarshal.Cast<double, Vector<double>>(leaving[..m.Length]);
            var va = MemoryMarshal.Cast<double, Vector<double>>(arriving[..m.Length]);
            for (int k = 0; k < vm.Length; k++)
            {
                vm[k] = (vm[k] - vl[k]) + va[k];
            }

            i = vm.Length * Vector<double>.Count;
        }

        for (; i < m.Length; i++)
        {
            m[i] = (m[i] - leaving[i]) + arriving[i];
        }
    }

    /// <summary>
    /// <paramref name="result"/> = Σ_s x_s·x_sᵀ over <paramref name="count"/> vectors of n values
    /// stored one after the other: each row's entries accumulate in registers over the vectors,
    /// four SIMD chunks at a time, and are stored once (no bounds checks in the inner loop: the
    /// spans' lengths are checked on entry). Only the upper triangle is summed (row i from the SIMD
    /// chunk holding column i), then mirrored: entry (j, i) is the same products in the same order
    /// as (i, j), so the result is bit-identical to summing every entry, at about half the cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumOfOuterProducts(ReadOnlySpan<double> x, int count, int n, Span<double> result)
    {
        if (x.Length < count * n || result.Length < n * n)
        {
            throw new ArgumentException("the spans are shorter than their sizes.");
        }

        int width = Vector.IsHardwareAccelerated ? Vector<double>.Count : n + 1;
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double r0 = ref MemoryMarshal.GetReference(result);
        for (int i = 0; i < n; i++)
        {
            ref double row = ref Unsafe.Add(ref r0, i * n);
            int j = width <= n ? i - (i % width) : 0;
            for (; j + (4 * width) <= n; j += 4 * width)
            {
                Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero, a2 = Vector<double>.Zero, a3 = Vector<double>.Zero;
                for (int s = 0; s < count; s++)
                {
                    ref double xs = ref Unsafe.Add(ref x0, s * n);
                    var xi = new Vector<double>(Unsafe.Add(ref xs, i));
                    a0 += xi * Vector.LoadUnsafe(ref xs, (nuint)j);
                    a1 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + width));
                    a2 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + (2 * width)));
                    a3 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + (3 * width)));
                }

                a0.StoreUnsafe(ref row, (nuint)j);
                a1.StoreUnsafe(ref row, (nuint)(j + width));
                a2.StoreUnsafe(ref row, (nuint)(j + (2 * width)));
                a3.StoreUnsafe(ref row, (nuint)(j + (3 * width)));
            }

            for (; j + width <= n; j += width)
            {
                var a = Vector<double>.Zero;
                for (int s = 0; s < count; s++)
                {
                    ref double xs = ref Unsafe.Add(ref x0, s * n);
                    a += new Vector<double>(Unsafe.Add(ref xs, i)) * Vector.LoadUnsafe(ref xs, (nuint)j);
                }

                a.StoreUnsafe(ref row, (nuint)j);
            }

            for (; j < n; j++)
            {
                double a = 0;
                for (int s = 0; s < count; s++)
                {
                    a += x[(s * n) + i] * x[(s * n) + j];
                }

                Unsafe.Add(ref row, j) = a;
            }
        }

        for (int i = 1; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                Unsafe.Add(ref r0, (i * n) + j) = Unsafe.Add(ref r0, (j * n) + i);
            }
        }
    }

    /// <summary>
    /// The window's second-moment sum again from its blocks [<paramref name="start"/>, <paramref name="end"/>)
    /// (whole strides), so rounding cannot build up. The sum from zero of those blocks in order is
    /// built as they arrive (<see cref="AddBlock"/>, from the first block the next recomputation will
    /// sum: a window length after this one's), so the recomputation is a copy rather than a window's
    /// worth of additions on one window (not even that: the two arrays swap): the same additions in the same
    /// order, bit for bit (its first block copied rather than added to zeros: the same values, an exact zero's
    /// sign aside). After a restart the first one sums the blocks kept.
    /// </summary>
    private void RecomputeMoments(long start, long end)
    {
        if (_moments is null)
        {
            return;
        }

        if (start == _nextMomentsFrom && !_nextMomentsEmpty)
        {
            // The sum built as the blocks arrived becomes the window's; the old one's array takes the next sum
            // (no copy and no clearing on this window: its first block will be copied in).
            (_moments, _nextMoments) = (_nextMoments!, _moments);
        }
        else
        {
            Array.Clear(_moments);
            for (long block = start; block + Stride <= end; block += Stride)
            {
                Matrices.AddScaled(_moments, Block(block), 1.0);
            }
        }

        // The next recomputation comes RecomputeEveryWindows windows later and sums that window's blocks after its first.
        _nextMomentsEmpty = true;
        _nextMomentsFrom = start + ((long)RecomputeEveryWindows * Stride);
    }
}
