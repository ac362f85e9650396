using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary><c>/metrics</c>: the meter's instruments as prometheus-net renders them, under the documented names and types.</summary>
public sealed partial class PrometheusExportTests
{
    [Fact]
    public async Task EveryMetricTheDocsNameIsScrapedWithItsTypeAndTheCountsMoveBetweenScrapes()
    {
        var documented = MetricName().Matches(File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "daemon.md")))
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        string early = string.Empty, late = string.Empty;
        long latencyBefore = 0, latencyAfter = 0;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            await Eventually.WaitAsync(() => metrics.Windows >= 50, "the first windows");
            early = await HostileClientTests.HttpAsync(endpoint, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await Eventually.WaitAsync(() => metrics.Windows == 1937, "the whole replay");
            latencyBefore = metrics.Latency.Count;
            late = await HostileClientTests.HttpAsync(endpoint, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
            latencyAfter = metrics.Latency.Count;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.StartsWith("HTTP/1.1 200 OK", late);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8", late);
        Assert.True(documented.Count >= 15, $"only {documented.Count} metric names found in docs/daemon.md");
        Assert.All(documented, name => Assert.Matches($"\n# TYPE {name} (counter|gauge|histogram)\n", late));
        foreach (var (name, type) in new[]
        {
            ("eegdann_chunks_total", "counter"), ("eegdann_windows_decoded_total", "counter"), ("eegdann_failsafe_decisions_total", "counter"),
            ("eegdann_dropped_total", "counter"), ("eegdann_gc_pause_seconds_total", "counter"), ("eegdann_decision_latency_histogram_seconds", "histogram"),
            ("eegdann_decision_latency_seconds", "gauge"), ("eegdann_decision_latency_seconds_count", "counter"), ("eegdann_model_info", "gauge"),
            ("eegdann_model_generation", "gauge"), ("eegdann_uptime_seconds", "gauge"),
        })
        {
            Assert.Contains($"\n# TYPE {name} {type}\n", late);
        }

        Assert.Contains("\neegdann_windows_decoded_total 1937\n", late);
        Assert.Contains("\neegdann_failsafe_decisions_total{reason=\"non_finite\"} 0\n", late);
        Assert.Contains("\neegdann_dropped_total{buffer=\"acquisition\"} 0\n", late);
        Assert.Contains("\neegdann_calibrations_total{outcome=\"rejected\"} 0\n", late);
        Assert.Contains("\neegdann_model_info{id=\"", late);
        Assert.Contains("\neegdann_model_generation 1\n", late);
        Assert.Matches("\neegdann_decision_latency_seconds\\{quantile=\"0.99\"\\} [0-9.e-]+\n", late);
        Assert.True(Value(early, "eegdann_chunks_total") < Value(late, "eegdann_chunks_total"));
        Assert.True(Value(early, "eegdann_windows_decoded_total") < 1937);

        // The pushed histogram counts what the control path recorded between the two reads around the scrape.
        double count = Value(late, "eegdann_decision_latency_histogram_seconds_count");
        Assert.InRange(count, latencyBefore, latencyAfter);
        Assert.Equal(count, Value(late, "eegdann_decision_latency_histogram_seconds_bucket{le=\"+Inf\"}"));
        Assert.True(Value(early, "eegdann_decision_latency_histogram_seconds_count") < count);
    }

    [Fact]
    public async Task RecordingThroughTheExportAllocatesNothingOnTheControlPathAndTheScrapeShowsIt()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new DaemonMetrics(services.GetRequiredService<IMeterFactory>());
        using var export = new PrometheusExport(metrics);
        export.Start();
        Record(metrics, 1000);
        _ = await ScrapeAsync(export);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Record(metrics, 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        string text = await ScrapeAsync(export);
        Assert.Contains("\neegdann_chunks_total 101000\n", text);
        Assert.Contains("\neegdann_decisions_total 101000\n", text);
        Assert.Contains("\neegdann_dropped_total{buffer=\"windows\"} 101000\n", text);
        Assert.Contains("\neegdann_failsafe_decisions_total{reason=\"stale\"} 101000\n", text);
        // 1.5 ms: above the 1 ms bound, within the 2 ms one.
        Assert.Contains("\neegdann_decision_latency_histogram_seconds_bucket{le=\"0.001\"} 0\n", text);
        Assert.Contains("\neegdann_decision_latency_histogram_seconds_bucket{le=\"0.002\"} 101000\n", text);
        Assert.Contains("\neegdann_decision_latency_histogram_seconds_count 101000\n", text);
        Assert.Equal(151.5, Value(text, "eegdann_decision_latency_histogram_seconds_sum"), 6);
        Assert.Equal(0.0015, Value(text, "eegdann_decision_latency_seconds{quantile=\"0.5\"}"), 0.0015 * 0.02);
    }

    [Fact]
    public async Task TheModelInUseIsOneSeriesAndNoQuantileBeforeTheFirstDecisionIsANumber()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new DaemonMetrics(services.GetRequiredService<IMeterFactory>());
        using var export = new PrometheusExport(metrics);
        export.Start();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);

        string empty = await ScrapeAsync(export);
        using var model = DecoderModelLoader.Load(TestModels.S001ToS002);
        models.Initialize(model, AlignmentMode.Auto);
        string loaded = await ScrapeAsync(export);

        Assert.DoesNotContain("\neegdann_model_info{", empty);
        Assert.Contains("\neegdann_model_generation 0\n", empty);
        Assert.Contains("\neegdann_decision_latency_seconds{quantile=\"0.99\"} NaN\n", empty);
        Assert.Contains("\neegdann_decision_latency_seconds_count 0\n", empty);
        Assert.Contains($"\neegdann_model_info{{id=\"{model.Id}\"}} 1\n", loaded);
        Assert.Contains("\neegdann_model_generation 1\n", loaded);
    }

    [Fact]
    public async Task ALabelledGaugeSeriesThatIsNoLongerReportedLeavesTheScrape()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new DaemonMetrics(services.GetRequiredService<IMeterFactory>());
        using var export = new PrometheusExport(metrics);
        string id = "first";
        metrics.Meter!.CreateObservableGauge("eegdann_test_info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("id", id)));
        export.Start();

        string before = await ScrapeAsync(export);
        id = "second";
        string after = await ScrapeAsync(export);

        Assert.Contains("\neegdann_test_info{id=\"first\"} 1\n", before);
        Assert.Contains("\neegdann_test_info{id=\"second\"} 1\n", after);
        Assert.DoesNotContain("id=\"first\"", after);
    }

    [Fact]
    public void MetricsWithoutAMeterFactoryHaveNoMeterToExport()
    {
        var metrics = new DaemonMetrics();

        Assert.Null(metrics.Meter);
        Assert.Throws<ArgumentException>(() => new PrometheusExport(metrics));
    }

    private static void Record(DaemonMetrics metrics, int times)
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < times; i++)
        {
            metrics.ChunkArrived(16, now);
            metrics.WindowDecoded(0.2, 0.3);
            metrics.DecisionSent(command: true, latencyMilliseconds: 1.5);
            metrics.Drop(DaemonBuffer.Windows);
            metrics.FailSafeDecision(FailSafeReason.Stale);
        }
    }

    private static async Task<string> ScrapeAsync(PrometheusExport export)
    {
        using var text = new MemoryStream();
        await export.WriteAsync(text, CancellationToken.None);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>The value of the sample <paramref name="series"/> (name and labels) in a scrape.</summary>
    private static double Value(string scrape, string series)
    {
        var line = scrape.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>A metric name in code font (<c>`name`</c> or <c>`name{label}`</c>).</summary>
    [GeneratedRegex("`(eegdann_[a-z0-9_]*[a-z0-9])[`{]")]
    private static partial Regex MetricName();
}
