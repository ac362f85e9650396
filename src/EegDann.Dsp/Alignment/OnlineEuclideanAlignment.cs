using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Alignment;

/// <summary>
/// Euclidean alignment in a stream: R is the uncentred second moment of every sample the windows
/// seen so far cover (optionally blended with a prior R, e.g. the calibration's), and R^-1/2 is
/// recomputed every <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows.
/// </summary>
/// <remarks>
/// Each window is observed with the samples it brings that no earlier window brought (all of them for
/// the first window and after a gap; one stride's for a window sliding on): their outer products
/// x·xᵀ are added to the running sums (<see cref="Accumulate"/>, band by band) and the window counted with
/// how many they were (<see cref="Observe(long)"/>). The data's estimate is
/// then M_t = Σ x·xᵀ / N over the N samples observed, which costs a stride of outer products a
/// window instead of a window's, and nothing per window beyond them (the windows' own second moments,
/// which overlap, are never formed). For windows that do not overlap (or epochs, each observed whole with
/// <see cref="Observe(ReadOnlySpan{double})"/>), M_t is the mean of their second moments, which is
/// <see cref="EuclideanAlignment.Fit"/> over the same windows; for sliding windows it differs from the
/// mean of the windows' second moments only in the weight of the first and last window length of
/// samples (a sample in the middle of a stream is in L/stride windows, one near its ends in fewer),
/// so both converge to the same reference.
/// <para>Warm-up: without a prior, the alignment is not trusted until
/// <see cref="EuclideanAlignmentOptions.WarmupWindows"/> windows have been observed
/// (<see cref="IsWarm"/>); until then the whitening is the identity, and R^-1/2 is first computed
/// when the warm-up ends, then every <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows. With a prior of
/// weight w (in windows), R_t = (w·R_prior + t·M_t) / (w + t) after t windows and the alignment is
/// warm at once. After a filter bank every band
/// keeps its own estimate (one n × n block per band, as <see cref="AlignmentFit"/>).</para>
/// <para>The periodic recomputations are spread over windows so that no window pays for many: band
/// b (of B) is due every P = <see cref="EuclideanAlignmentOptions.UpdateEveryWindows"/> windows, at
/// offset ⌈(b + 1)·P / B⌉ from the last full update (the end of the warm-up, an explicit
/// <see cref="Update"/>, or the start with a prior); when due, its R (the running mean as of that
/// window) is taken, and its R^-1/2 is computed in three parts on three consecutive windows (the
/// Householder reduction, the QL sweeps, then V·diag(λ^-1/2)·Vᵀ), in use from the third: the
/// whitening follows the estimate min(2, P) windows late. With the defaults (5 bands, P = 16) a
/// window does at most one part of one band's eigendecomposition. The end of the warm-up and
/// <see cref="Update"/> recompute every band at once. Every path that observes the same windows in
/// the same order (the live one and the replay's batch path) gets the same R^-1/2 at the same window.
/// No allocation per window.</para>
/// <para>With an <see cref="AlignmentWorker"/>, a due band's R is taken as of the same window, and the
/// three parts run on the worker's thread instead; the new R^-1/2 comes into use at the same window
/// (the caller waits for the worker there if it is not done), so every window's whitening is the
/// same bit for bit, and the caller's thread only takes R and puts the result in use. An R that is not
/// finite is refused at the window it is taken, and one that is not positive definite at the window its
/// R^-1/2 would come into use, with or without a worker.</para>
/// </remarks>
public sealed class OnlineEuclideanAlignment
{
    private readonly EuclideanAlignmentOptions _options;
    private readonly double[] _sum;
    private readonly double[]? _prior;
    private readonly double[] _mean;
    private readonly double[] _whitening;
    private readonly double[] _scratch;
    private readonly SymmetricEigen[] _bandEigen;
    private readonly int[] _bandPart;
    private readonly double _priorWeight;
    private readonly long[] _bandUpdates;
    private readonly BandRecomputation[]? _bandJobs;
    private readonly AlignmentWorker? _worker;
    private readonly long[] _bandPendingJob;
    private readonly long[] _bandInUseJob;
    private long _jobSequence;
    private long _sinceUpdate;
    private long _samples;

    /// <summary>Starts the estimate.</summary>
    /// <param name="subject">Whose stream it is (for messages and the exported fit).</param>
    /// <param name="channels">n.</param>
    /// <param name="options">Warm-up, update period, shrinkage.</param>
    /// <param name="prior">A fitted reference to start from (calibration), or null.</param>
    /// <param name="priorWeightWindows">How many windows the prior counts for (≥ 0). Default: the warm-up count.</param>
    /// <param name="bands">Bands of a filter bank, each aligned on its own (1 without a filter bank).</param>
    /// <param name="worker">A thread to compute the recomputations on (see the remarks), or null: this caller's thread computes them, in parts.</param>
    public OnlineEuclideanAlignment(string subject, int channels, EuclideanAlignmentOptions options, AlignmentFit? prior = null, double? priorWeightWindows = null, int bands = 1, AlignmentWorker? worker = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid alignment options: " + string.Join("; ", problems) + ".", nameof(options));
        }

        if (prior != null && (prior.ChannelCount != channels || prior.Bands != bands))
        {
            throw new ArgumentException($"the prior alignment has {prior.Bands} band(s) of {prior.ChannelCount} channels, the stream {bands} of {channels}.", nameof(prior));
        }

        Subject = subject;
        ChannelCount = channels;
        Bands = bands;
        _options = options;
        _sum = new double[bands * channels * channels];
        _mean = new double[bands * channels * channels];
        _whitening = new double[bands * channels * channels];
        for (int b = 0; b < bands; b++)
        {
            Matrices.Identity(channels).CopyTo(_whitening, b * channels * channels);
        }

        _bandUpdates = new long[bands];
        _bandPendingJob = new long[bands];
        _bandInUseJob = new long[bands];
        Array.Fill(_bandInUseJob, -1L);
        _bandEigen = new SymmetricEigen[bands];
        _bandPart = new int[bands];
        for (int b = 0; b < bands; b++)
        {
            _bandEigen[b] = new SymmetricEigen(channels, vectorized: true);
        }

        _scratch = new double[channels * channels];
        if (worker != null)
        {
            _worker = worker;
            _bandJobs = new BandRecomputation[bands];
            for (int b = 0; b < bands; b++)
            {
                _bandJobs[b] = new BandRecomputation(_bandEigen[b], _mean, b * channels * channels, channels, subject);
            }
        }

        if (prior != null)
        {
            _priorWeight = priorWeightWindows ?? options.WarmupWindows;
            ArgumentOutOfRangeException.ThrowIfNegative(_priorWeight);
            _prior = new double[_sum.Length];
            for (int i = 0; i < _prior.Length; i++)
            {
                _prior[i] = _priorWeight * prior.Reference[i];
            }

            prior.Whitening.CopyTo(_whitening, 0);
            HasPrior = true;
        }
    }

    /// <summary>The subject.</summary>
    public string Subject { get; }

    /// <summary>n: channels per band.</summary>
    public int ChannelCount { get; }

    /// <summary>Bands aligned separately (1 without a filter bank).</summary>
    public int Bands { get; }

    /// <summary>Whether a prior reference was given.</summary>
    public bool HasPrior { get; }

    /// <summary>Windows averaged so far.</summary>
    public long WindowCount { get; private set; }

    /// <summary>Whether the alignment can be trusted: a prior was given or the warm-up is over (R^-1/2 is computed when it ends).</summary>
    public bool IsWarm => HasPrior || WindowCount >= _options.WarmupWindows;

    /// <summary>Times R^-1/2 was recomputed, of one band or more (see <see cref="UpdatesOf"/> per band).</summary>
    public long Updates { get; private set; }

    /// <summary>The current R^-1/2 (one n × n block per band, row-major). Do not modify.</summary>
    public ReadOnlySpan<double> Whitening => _whitening;

    /// <summary>Observes one window whose samples are all new (a window or epoch that overlaps no other): its uncentred second moment X·Xᵀ/L (n × n per band); recomputes R^-1/2 of the bands that are due (see the remarks).</summary>
    public void Observe(ReadOnlySpan<double> secondMoment) => Observe(secondMoment, 1);

    /// <summary>
    /// Observes one window by the samples it brings that no earlier window brought: the sum of their
    /// outer products Σ x·xᵀ (n × n per band) and how many they are (a window's second moment and 1
    /// is the same as <see cref="Observe(ReadOnlySpan{double})"/>); recomputes R^-1/2 of the bands that are due.
    /// </summary>
    /// <param name="sum">Σ x·xᵀ over the new samples, one n × n block per band.</param>
    /// <param name="samples">How many samples <paramref name="sum"/> is over (≥ 0: a window that brings none still counts as a window).</param>
    public void Observe(ReadOnlySpan<double> sum, long samples)
    {
        if (sum.Length < _sum.Length)
        {
            throw new ArgumentException($"a sum of outer products of {Bands} band(s) of {ChannelCount} channels has {_sum.Length} values, not {sum.Length}.", nameof(sum));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            for (; i + System.Numerics.Vector<double>.Count <= _sum.Length; i += System.Numerics.Vector<double>.Count)
            {
                (new System.Numerics.Vector<double>(_sum.AsSpan(i)) + new System.Numerics.Vector<double>(sum[i..])).CopyTo(_sum.AsSpan(i));
            }
        }

        for (; i < _sum.Length; i++)
        {
            _sum[i] += sum[i];
        }

        Observe(samples);
    }

    /// <summary>
    /// Adds the outer products of <paramref name="count"/> samples of band <paramref name="band"/> (count × n
    /// values, sample by sample) to the estimate's sums, in order (<see cref="OuterProducts.AddUpper"/>);
    /// once every band of a window's new samples is added, <see cref="Observe(long)"/> counts the window.
    /// </summary>
    public void Accumulate(int band, ReadOnlySpan<double> samples, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(band, Bands);
        int block = ChannelCount * ChannelCount;
        OuterProducts.AddUpper(samples, count, ChannelCount, _sum.AsSpan(band * block, block));
    }

    /// <summary>
    /// Counts one window whose <paramref name="samples"/> new samples were added with <see cref="Accumulate"/>
    /// (in every band), and recomputes R^-1/2 of the bands that are due (see the remarks).
    /// </summary>
    public void Observe(long samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        _samples += samples;
        WindowCount++;
        if (!HasPrior && WindowCount == _options.WarmupWindows)
        {
            Update();
            return;
        }

        if (!HasPrior && WindowCount < _options.WarmupWindows)
        {
            return;
        }

        // Recomputations begun in an earlier window go on by one part; a band due again before its
        // last one is in use (P = 1) finishes it first.
        bool any = false;
        for (int b = 0; b < Bands; b++)
        {
            if (_bandPart[b] != 0)
            {
                any |= Advance(b);
            }
        }

        _sinceUpdate++;
        for (int b = 0; b < Bands; b++)
        {
            long offset = UpdateOffset(b);
            if (_sinceUpdate >= offset && (_sinceUpdate - offset) % _options.UpdateEveryWindows == 0)
            {
                while (_bandPart[b] != 0)
                {
                    any |= Advance(b);
                }

                Begin(b);
            }
        }

        if (any)
        {
            Updates++;
        }
    }

    /// <summary>The worker the recomputations run on, or null.</summary>
    internal AlignmentWorker? Worker => _worker;

    /// <summary>Windows from when a band is due to when its new R^-1/2 is in use: min(2, P).</summary>
    internal int InUseLag => (int)Math.Min(2, _options.UpdateEveryWindows);

    /// <summary>The id of band <paramref name="band"/>'s recomputation under way on the worker (ids grow from 1), or −1.</summary>
    internal long PendingJobOf(int band) => _bandJobs != null && _bandPart[band] != 0 ? _bandPendingJob[band] : -1;

    /// <summary>The id of the worker's recomputation whose R^-1/2 band <paramref name="band"/> uses now, or −1 (the warm-up's, an explicit update's, the prior's or the identity).</summary>
    internal long InUseJobOf(int band) => _bandInUseJob[band];

    /// <summary>Band <paramref name="band"/>'s R^-1/2 as the worker computes it (read it on the worker after the recomputation, which it runs first).</summary>
    internal double[] WorkerResult(int band) => _bandJobs![band].ResultArray;

    /// <summary>Times R^-1/2 of band <paramref name="band"/> was recomputed (and put in use).</summary>
    public long UpdatesOf(int band) => _bandUpdates[band];

    /// <summary>Recomputes R^-1/2 of every band from the windows so far now (e.g. at the end of a calibration period); recomputations under way are dropped, and the bands' turns start again from here.</summary>
    public void Update()
    {
        double weight = _priorWeight + WindowCount;
        if (weight <= 0)
        {
            return;
        }

        int block = ChannelCount * ChannelCount;
        for (int b = 0; b < Bands; b++)
        {
            if (_bandPart[b] != 0 && _bandJobs?[b] is { } job)
            {
                // Dropped, but the worker may still be reading the band's R: let it finish first.
                job.Wait();
            }

            _bandPart[b] = 0;
            _bandInUseJob[b] = -1;
            var mean = Mean(b, weight);
            EuclideanAlignment.InverseSquareRoot(mean, ChannelCount, _whitening.AsSpan(b * block, block), _bandEigen[b], _scratch, Subject);
            _bandUpdates[b]++;
        }

        _sinceUpdate = 0;
        Updates++;
    }

    /// <summary>Windows after the last full update at which band <paramref name="band"/> is first due: ⌈(band + 1)·P / B⌉ ∈ [1, P].</summary>
    private long UpdateOffset(int band) => (((long)(band + 1) * _options.UpdateEveryWindows) + Bands - 1) / Bands;

    /// <summary>Band <paramref name="band"/>'s R now (shrunk), in its block of <c>_mean</c>.</summary>
    private Span<double> Mean(int band, double weight)
    {
        int block = ChannelCount * ChannelCount;
        var mean = _mean.AsSpan(band * block, block);
        Blend(_sum.AsSpan(band * block, block), _prior is null ? default : _prior.AsSpan(band * block, block), weight, mean);

        EuclideanAlignment.ShrinkInPlace(mean, ChannelCount, _options.Shrinkage);
        return mean;
    }

    /// <summary>
    /// <paramref name="mean"/> ← (w·R_prior + t·M_t) / (w + t) entry by entry (whole bands), with M_t = Σ x·xᵀ / N: the
    /// data's sums scaled by t / N (exactly 1 when every window was observed whole, so the sums are then
    /// used as they are), the prior's already weighted.
    /// </summary>
    private void Blend(ReadOnlySpan<double> sum, ReadOnlySpan<double> prior, double weight, Span<double> mean)
    {
        double scale = _samples > 0 ? (double)WindowCount / _samples : 0.0;
        int n = ChannelCount, block = n * n;
        for (int b = 0; b < mean.Length / block; b++)
        {
            var s = sum.Slice(b * block, block);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    // The sums' upper triangle (see OuterProducts.AddUpper), mirrored.
                    double value = OuterProducts.Upper(s, n, i, j);
                    double data = scale == 1.0 ? value : value * scale;
                    int k = (b * block) + (i * n) + j;
                    mean[k] = (prior.IsEmpty ? data : prior[k] + data) / weight;
                }
            }
        }
    }

    /// <summary>The first part of band <paramref name="band"/>'s recomputation: its R as of this window, reduced to tridiagonal form.</summary>
    private void Begin(int band)
    {
        double weight = _priorWeight + WindowCount;
        if (weight <= 0)
        {
            return;
        }

        var mean = Mean(band, weight);
        if (_bandJobs?[band] is { } job)
        {
            SymmetricEigen.ThrowIfNotFinite(mean);
            _bandPendingJob[band] = ++_jobSequence;
            job.Start();
            if (!_worker!.TryPost(job))
            {
                job.Run();
            }
        }
        else
        {
            _bandEigen[band].Reduce(mean);
        }

        _bandPart[band] = 1;
    }

    /// <summary>The next part of band <paramref name="band"/>'s recomputation; true when it ends with the new R^-1/2 in use.</summary>
    private bool Advance(int band)
    {
        var eigen = _bandEigen[band];
        var job = _bandJobs?[band];
        if (_bandPart[band] == 1)
        {
            if (job is null)
            {
                eigen.Sweep();
            }

            _bandPart[band] = 2;
            return false;
        }

        int block = ChannelCount * ChannelCount;
        var whitening = _whitening.AsSpan(band * block, block);
        _bandPart[band] = 0;
        _bandInUseJob[band] = -1;
        if (job is null)
        {
            eigen.Complete();
            EuclideanAlignment.InverseSquareRootOfDecomposed(eigen, ChannelCount, whitening, _scratch, Subject);
        }
        else
        {
            job.Wait();
            job.ThrowIfFailed();
            job.Result.CopyTo(whitening);
            _bandInUseJob[band] = _bandPendingJob[band];
        }

        _bandUpdates[band]++;
        return true;
    }

    /// <summary>The current estimate as a fit (allocates): what the online calibrator can store in a model file.</summary>
    public AlignmentFit Snapshot()
    {
        double weight = _priorWeight + WindowCount;
        var mean = new double[_sum.Length];
        if (weight > 0)
        {
            Blend(_sum, _prior, weight, mean);
        }
        else
        {
            for (int i = 0; i < mean.Length; i++)
            {
                mean[i] = i % (ChannelCount * ChannelCount) % (ChannelCount + 1) == 0 ? 1 : 0;
            }
        }

        return EuclideanAlignment.FromReference(Subject, mean, WindowCount, ChannelCount, _options, Bands);
    }

    /// <summary>
    /// One band's recomputation on an <see cref="AlignmentWorker"/>: the three parts of the
    /// eigendecomposition of its R (read from the band's block of the running mean, which the
    /// alignment leaves alone until the job has ended) and V·diag(λ^-1/2)·Vᵀ into its own result.
    /// </summary>
    private sealed class BandRecomputation(SymmetricEigen eigen, double[] means, int offset, int n, string subject) : AwaitedAlignmentJob
    {
        private readonly double[] _result = new double[n * n];
        private readonly double[] _scratch = new double[n * n];

        /// <summary>R^-1/2, once the job has ended without error.</summary>
        public ReadOnlySpan<double> Result => _result;

        /// <summary>The array behind <see cref="Result"/> (for a job that follows this one on the worker).</summary>
        public double[] ResultArray => _result;

        /// <inheritdoc />
        protected override void Execute()
        {
            eigen.Reduce(means.AsSpan(offset, n * n));
            eigen.Sweep();
            eigen.Complete();
            EuclideanAlignment.InverseSquareRootOfDecomposed(eigen, n, _result, _scratch, subject);
        }
    }
}
