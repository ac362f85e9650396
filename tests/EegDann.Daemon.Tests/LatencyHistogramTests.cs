using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Monitoring;

namespace EegDann.Daemon.Tests;

/// <summary>The latency read-outs over HdrHistogram: quantiles within 1 %, exact count and sum, interval differences, no allocation when recording.</summary>
public sealed class LatencyHistogramTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    [InlineData(1.0)]
    public void TheQuantilesOfOneToOneThousandMicrosecondsAreTheNearestRankWithinOnePercent(double q)
    {
        var histogram = new LatencyHistogram();
        foreach (int us in Shuffled(Enumerable.Range(1, 1000)))
        {
            histogram.Record(us / 1000.0);
        }

        // Nearest rank of 1..1000 µs: q·1000 µs. HdrHistogram answers its bucket's highest value: at or above, within 1 %.
        double exact = q * 1000 / 1000.0;
        double p = histogram.Quantile(q);
        Assert.InRange(p, exact, exact * 1.01);
        Assert.Equal(p, histogram.Snapshot().Quantile(q));
    }

    [Fact]
    public void SmallValuesKeepWholeMicrosecondsAndLargeOnesOnePercentUpToOneHundredSeconds()
    {
        foreach (double ms in new[] { 0.001, 0.007, 0.2, 1.5, 37.0, 812.0, 5_000.0, 99_000.0 })
        {
            var histogram = new LatencyHistogram();
            histogram.Record(ms);
            Assert.InRange(histogram.Quantile(0.5), ms, ms * 1.01);
        }
    }

    [Fact]
    public void CountAndSumAreExactWhateverTheBucketsAndOddValuesAreBounded()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.Count);
        Assert.True(double.IsNaN(histogram.Quantile(0.5)));

        histogram.Record(0.0004);
        histogram.Record(1.2345);
        histogram.Record(-3);
        histogram.Record(double.NaN);
        histogram.Record(250_000);

        Assert.Equal(5, histogram.Count);
        Assert.Equal(5, histogram.Snapshot().Count);
        // The sum is exact to the nanosecond (0.4 µs + 1.2345 ms + 250 s); negative values and NaN add 0.
        Assert.Equal(250.0012349, histogram.SumSeconds, 9);
        // The histogram keeps 0.4 µs as 0, the negative value and NaN as 0, and caps 250 s at 100 s.
        Assert.Equal(0.0, histogram.Quantile(0.6));
        Assert.InRange(histogram.Quantile(0.8), 1.2345 * 0.995, 1.2345 * 1.01);
        Assert.InRange(histogram.Quantile(1.0), 100_000, 100_000 * 1.01);
    }

    [Fact]
    public void TheDifferenceOfTwoSnapshotsHoldsOnlyWhatWasRecordedBetweenThem()
    {
        var histogram = new LatencyHistogram();
        Record(histogram, 1.0, 1000);
        var first = histogram.Snapshot();
        Record(histogram, 10.0, 1000);
        Record(histogram, 100.0, 10);
        var second = histogram.Snapshot();

        var between = second.Since(first);

        Assert.Equal(1010, between.Count);
        Assert.InRange(between.Quantile(0.5), 10.0, 10.1);
        Assert.InRange(between.Quantile(0.995), 100.0, 101.0);
        Assert.InRange(second.Quantile(0.25), 1.0, 1.01);
        Assert.Equal(1000, first.Count);
        Assert.InRange(first.Quantile(0.99), 1.0, 1.01);
        Assert.Equal(new[] { (1000L, 10.0), (10L, 100.0) }, between.Buckets().Select(b => (b.Count, Math.Round(b.UpperBoundMilliseconds, 0))));

        var none = second.Since(second);
        Assert.Equal(0, none.Count);
        Assert.True(double.IsNaN(none.Quantile(0.5)));
        Assert.Empty(none.Buckets());
    }

    [Fact]
    public void ALaterSnapshotIsNotAnEarlierOne()
    {
        var histogram = new LatencyHistogram();
        Record(histogram, 2.0, 5);
        var first = histogram.Snapshot();
        Record(histogram, 2.0, 5);
        var second = histogram.Snapshot();

        var e = Assert.Throws<ArgumentException>(() => first.Since(second));
        Assert.Contains("not an earlier snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordingAllocatesNothingWhileAnotherThreadTakesSnapshotsAndLosesNoValue()
    {
        // A Record that allocates does so in every pass of 200 000 values; the runtime itself (a method
        // tiered up) may allocate on this thread now and then, so one pass of three allocating nothing passes.
        var histogram = new LatencyHistogram();
        Record(histogram, 0.25, 1000);
        using var stop = new CancellationTokenSource();
        long snapshots = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _ = histogram.Snapshot().Quantile(0.99);
                Interlocked.Increment(ref snapshots);
            }
        });
        while (Interlocked.Read(ref snapshots) == 0)
        {
            Thread.Yield();
        }

        const int PerPass = 200_000;
        var allocatedPerPass = new List<long>();
        do
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < PerPass; i++)
            {
                histogram.Record(0.05 + (i % 2000) * 0.01);
            }

            allocatedPerPass.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        while (allocatedPerPass[^1] != 0 && allocatedPerPass.Count < 3);

        stop.Cancel();
        await reader;

        Assert.True(allocatedPerPass[^1] == 0, $"bytes allocated per pass of {PerPass} values: {string.Join(", ", allocatedPerPass)}");
        long recorded = 1000 + (long)PerPass * allocatedPerPass.Count;
        Assert.Equal(recorded, histogram.Count);
        Assert.Equal(recorded, histogram.Snapshot().Count);
    }

    [Fact]
    public void TwoWritersAtOnceLoseNoValue()
    {
        var histogram = new LatencyHistogram();
        const int PerWriter = 200_000;
        Parallel.For(0, 2, w =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                histogram.Record(w == 0 ? 0.1 : 10.0);
            }
        });

        var snapshot = histogram.Snapshot();
        Assert.Equal(2 * PerWriter, snapshot.Count);
        Assert.Equal(new long[] { PerWriter, PerWriter }, snapshot.Buckets().Select(b => b.Count));
    }

    [Fact]
    public void TheConsolesLatencyPanelShowsTheLastTenSecondsInItsBins()
    {
        var metrics = new DaemonMetrics();
        var view = new MonitoringView(metrics, new ConsoleTap(), new ConsoleHub(Microsoft.Extensions.Options.Options.Create(new ConsoleOptions())));
        long t0 = Stopwatch.GetTimestamp();
        long At(double seconds) => t0 + (long)(seconds * Stopwatch.Frequency);

        Decisions(metrics, 0.3, 100);
        view.Sample(At(0));
        Decisions(metrics, 3.0, 100);
        view.Sample(At(1));
        var early = Latency(view);
        Decisions(metrics, 30.0, 50);
        view.Sample(At(12));
        var late = Latency(view);

        Assert.Equal(100, early.GetProperty("count").GetInt64());
        Assert.InRange(early.GetProperty("p50").GetDouble(), 3.0, 3.03);
        Assert.Equal(100, Bin(early, "5"));
        // Twelve seconds on, the first sample has left the window: only the 30 ms values remain.
        Assert.Equal(50, late.GetProperty("count").GetInt64());
        Assert.InRange(late.GetProperty("p99").GetDouble(), 30.0, 30.3);
        Assert.Equal(50, Bin(late, "50"));
        Assert.Equal(50, late.GetProperty("bins").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
    }

    private static void Record(LatencyHistogram histogram, double milliseconds, int times)
    {
        for (int i = 0; i < times; i++)
        {
            histogram.Record(milliseconds);
        }
    }

    private static void Decisions(DaemonMetrics metrics, double latencyMilliseconds, int times)
    {
        for (int i = 0; i < times; i++)
        {
            metrics.DecisionSent(command: false, latencyMilliseconds);
        }
    }

    private static IEnumerable<int> Shuffled(IEnumerable<int> values)
    {
        var array = values.ToArray();
        new Random(12).Shuffle(array);
        return array;
    }

    private static JsonElement Latency(MonitoringView view)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            view.Write(w);
            w.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.GetProperty("latency").Clone();
    }

    private static long Bin(JsonElement latency, string le) =>
        latency.GetProperty("bins").EnumerateArray().Single(b => b.GetProperty("le").GetString() == le).GetProperty("count").GetInt64();
}
