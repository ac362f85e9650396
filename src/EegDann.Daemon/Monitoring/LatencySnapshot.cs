using HdrHistogram;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// The values a <see cref="LatencyHistogram"/> had recorded at one moment, or the difference of two
/// such moments: quantiles, count, and the occupied buckets. Immutable.
/// </summary>
/// <remarks>
/// An HdrHistogram <see cref="LongHistogram"/> underneath. <see cref="Since"/> is the one piece
/// written here: HdrHistogram.NET 2.5.0, its latest release, can add histograms but not subtract
/// them (its main branch gained <c>Subtract</c> in March 2026), so the difference is that method's
/// general case through the public API, each of the earlier snapshot's recorded values recorded
/// again with its count negated; with a release that has it, it becomes one call.
/// </remarks>
public sealed class LatencySnapshot
{
    private readonly HistogramBase _histogram;

    internal LatencySnapshot(HistogramBase histogram) => _histogram = histogram;

    /// <summary>Values in the snapshot.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>The <paramref name="q"/>-quantile, ms, within 1 % or 1 µs (NaN when empty): HdrHistogram's value at the percentile, the highest value of its bucket.</summary>
    /// <param name="q">The quantile, 0 to 1.</param>
    public double Quantile(double q) => Quantile(_histogram, q);

    /// <summary>
    /// What was recorded after <paramref name="earlier"/> up to this snapshot (both from the same
    /// <see cref="LatencyHistogram"/>, <paramref name="earlier"/> taken first).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="earlier"/> holds a value this snapshot does not (it was taken later, or from another histogram).</exception>
    public LatencySnapshot Since(LatencySnapshot earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var difference = _histogram.Copy();
        foreach (var bucket in earlier._histogram.RecordedValues())
        {
            long value = bucket.ValueIteratedTo, count = bucket.CountAtValueIteratedTo;
            if (_histogram.GetCountAtValue(value) < count)
            {
                throw new ArgumentException($"The earlier snapshot holds {count} values at {value} µs, this one {_histogram.GetCountAtValue(value)}: it is not an earlier snapshot of the same histogram.", nameof(earlier));
            }

            difference.RecordValueWithCount(value, -count);
        }

        return new LatencySnapshot(difference);
    }

    /// <summary>The occupied buckets in increasing order: each one's highest value, ms, and its count.</summary>
    public IEnumerable<(double UpperBoundMilliseconds, long Count)> Buckets() =>
        _histogram.RecordedValues().Select(v => (v.ValueIteratedTo / 1000.0, v.CountAtValueIteratedTo));

    internal static double Quantile(HistogramBase histogram, double q) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(100.0 * q) / 1000.0;
}
