namespace EegDann.Daemon.Monitoring;

/// <summary>
/// A log-bucketed histogram of latencies (1 µs to 100 s, buckets 2% wide): recording is one
/// atomic increment with no allocation, quantiles are read within 2%. One writer or many; readers
/// take snapshots.
/// </summary>
public sealed class LatencyHistogram
{
    private const double Growth = 1.02;
    private const double MinMicroseconds = 1.0;
    private static readonly double LogGrowth = Math.Log(Growth);
    private static readonly int BucketCount = (int)Math.Ceiling(Math.Log(1e8 / MinMicroseconds) / LogGrowth) + 2;
    private readonly long[] _buckets = new long[BucketCount];
    private long _count;
    private long _sumNanoseconds;

    /// <summary>Values recorded.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Sum of the values recorded, seconds.</summary>
    public double SumSeconds => Volatile.Read(ref _sumNanoseconds) / 1e9;

    /// <summary>Records one latency.</summary>
    /// <param name="milliseconds">The latency, ms (negative values count as 0).</param>
    public void Record(double milliseconds)
    {
        double us = Math.Max(milliseconds * 1000.0, 0.0);
        int bucket = us < MinMicroseconds ? 0 : Math.Min(BucketCount - 1, 1 + (int)(Math.Log(us / MinMicroseconds) / LogGrowth));
        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumNanoseconds, (long)(us * 1000.0));
    }

    /// <summary>A copy of the bucket counts (to compute quantiles of an interval as the difference of two snapshots).</summary>
    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _buckets[i]);
        }

        return copy;
    }

    /// <summary>The <paramref name="q"/>-quantile of the values recorded so far, ms (NaN when empty).</summary>
    public double Quantile(double q) => Quantile(Snapshot(), q);

    /// <summary>The <paramref name="q"/>-quantile of bucket counts (a snapshot or a difference of two), ms (NaN when empty).</summary>
    public static double Quantile(long[] buckets, double q)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        long total = buckets.Sum();
        if (total == 0)
        {
            return double.NaN;
        }

        // The smallest bucket whose cumulative count reaches q·total (nearest-rank).
        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank)
            {
                return UpperBoundMilliseconds(i);
            }
        }

        return UpperBoundMilliseconds(buckets.Length - 1);
    }

    /// <summary>Counts of <paramref name="now"/> minus <paramref name="before"/>.</summary>
    public static long[] Difference(long[] now, long[] before)
    {
        ArgumentNullException.ThrowIfNull(now);
        ArgumentNullException.ThrowIfNull(before);
        var result = new long[now.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = now[i] - before[i];
        }

        return result;
    }

    internal static double UpperBoundMilliseconds(int bucket) =>
        bucket == 0 ? MinMicroseconds / 1000.0 : MinMicroseconds * Math.Pow(Growth, bucket) / 1000.0;
}
