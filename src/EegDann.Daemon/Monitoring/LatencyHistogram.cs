using HdrHistogram;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// One latency read-out: an HdrHistogram of whole microseconds (1 µs to 100 s, two significant
/// digits, so quantiles within 1 % or 1 µs) with an exact count and sum beside it. Recording is lock-free
/// and allocates nothing; readers take cumulative <see cref="LatencySnapshot"/>s, and the quantiles
/// of an interval come from the difference of two (<see cref="LatencySnapshot.Since"/>). One writer
/// or many; any number of readers.
/// </summary>
/// <remarks>
/// Writers record into HdrHistogram's <see cref="HdrHistogram.Recorder"/> over <see cref="LongConcurrentHistogram"/>s
/// (thread-safe writes: a few <see cref="Interlocked"/> operations, no lock). The library documents
/// that copying a concurrent histogram is not synchronised with its writers and that the recorder is
/// the way to read one safely: each <see cref="Snapshot"/> takes the recorder's interval histogram (the
/// phase flip waits for any value being recorded) and adds it into a cumulative histogram, so every
/// snapshot is a consistent cut. Two things stay here: the sum (one <see cref="Interlocked.Add(ref long, long)"/>
/// of nanoseconds), because HdrHistogram's mean is computed from bucket midpoints while Prometheus'
/// <c>_sum</c> is the exact total; and the subtraction in <see cref="LatencySnapshot.Since"/>, because
/// HdrHistogram.NET 2.5.0 has no <c>Subtract</c> (the reason is in <see cref="LatencySnapshot"/>'s header).
/// </remarks>
public sealed class LatencyHistogram
{
    /// <summary>The highest value tracked, µs (100 s); larger values count as this.</summary>
    internal const long HighestMicroseconds = 100_000_000;

    /// <summary>Significant decimal digits kept: values are told apart within 1 % (10^-2).</summary>
    internal const int SignificantDigits = 2;

    private readonly HdrHistogram.Recorder _recorder = Configured().WithThreadSafeWrites().WithThreadSafeReads().Create();
    private readonly Lock _gate = new();
    private readonly HistogramBase _cumulative = Configured().Create();
    private HistogramBase? _interval;
    private long _count;
    private long _sumNanoseconds;

    /// <summary>Values recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Sum of the values recorded, seconds (exact, not from the buckets).</summary>
    public double SumSeconds => Volatile.Read(ref _sumNanoseconds) / 1e9;

    /// <summary>Records one latency: lock-free, no allocation.</summary>
    /// <param name="milliseconds">The latency, ms (negative values and NaN count as 0; the histogram rounds to whole microseconds and caps at 100 s, the sum does not).</param>
    public void Record(double milliseconds)
    {
        double nanoseconds = milliseconds > 0 ? milliseconds * 1e6 : 0.0;
        _recorder.RecordValue(Math.Min((long)Math.Round(nanoseconds / 1000.0), HighestMicroseconds));
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumNanoseconds, (long)nanoseconds);
    }

    /// <summary>The values recorded so far (to compute the quantiles of an interval as the difference of two snapshots).</summary>
    public LatencySnapshot Snapshot()
    {
        lock (_gate)
        {
            return new LatencySnapshot(Fold().Copy());
        }
    }

    /// <summary>The <paramref name="q"/>-quantile of the values recorded so far, ms, within 1 % or 1 µs (NaN when empty).</summary>
    /// <param name="q">The quantile, 0 to 1.</param>
    public double Quantile(double q)
    {
        lock (_gate)
        {
            return LatencySnapshot.Quantile(Fold(), q);
        }
    }

    /// <summary>A histogram of this configuration (values in µs).</summary>
    internal static HistogramFactory Configured() =>
        HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(HighestMicroseconds).WithPrecisionOf(SignificantDigits);

    /// <summary>Adds what was recorded since the last fold into the cumulative histogram and returns it (under <see cref="_gate"/>).</summary>
    private HistogramBase Fold()
    {
        // The recorder hands back the histogram it recorded into since the last call and records into
        // the one passed (the previous interval's, which it clears): no allocation after the first call.
        _interval = _recorder.GetIntervalHistogram(_interval);
        _cumulative.Add(_interval);
        return _cumulative;
    }
}
