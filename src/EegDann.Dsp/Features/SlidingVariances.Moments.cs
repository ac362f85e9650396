// SlidingVariances following an alignment estimated from the stream: per window the outer products of the
// samples it brings join the estimate, and the window is aligned again when R^-1/2 changes.
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
        // The samples this window brings that no earlier one did (since the last restart): their outer products join the estimate.
        long windowEnd = _nextStart + Length, newFrom = Math.Max(_nextStart, _observedEnd);
        int count = (int)(windowEnd - newFrom), n = _channels, size = n * n;
        var x = _newSamples!;
        for (int b = 0; b < _bands; b++)
        {
            for (long index = newFrom; index < windowEnd; index++)
            {
                _history!.Sample(index).Slice(b * n, n).CopyTo(x.AsSpan((int)(index - newFrom) * n, n));
            }

            _online!.Accumulate(b, x, count);
        }

        _online!.Observe(count);
        _observedEnd = windowEnd;
        int block = size;
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
}
