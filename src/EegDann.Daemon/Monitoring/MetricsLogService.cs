using System.Diagnostics;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// Logs the daemon's health every <see cref="MetricsOptions.LogIntervalSeconds"/> (structured:
/// windows/s, latency p50/p99 over the interval and since start, decode time, drops, fail-safe
/// counts), and a summary when a daemon that started stops.
/// </summary>
internal sealed partial class MetricsLogService(IOptions<MetricsOptions> options, DaemonMetrics metrics, ActiveModel models, IHostApplicationLifetime lifetime, ILogger<MetricsLogService> logger) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is null)
        {
            // The daemon did not start (a bad setting or model file stopped it before this service ran): there is no run to sum up.
            return;
        }

        await base.StopAsync(cancellationToken);
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // A service started after this one refused to start (a replayed file that cannot be read, an
            // endpoint that cannot be bound): the daemon never ran, so there is no run to sum up either.
            return;
        }

        double seconds = Stopwatch.GetElapsedTime(metrics.Started).TotalSeconds;
        LogSummary(
            metrics.Samples,
            metrics.Windows,
            metrics.Decisions,
            metrics.Commands,
            metrics.Latency.Quantile(0.5),
            metrics.Latency.Quantile(0.99),
            metrics.HandOffDelay.Quantile(0.5),
            metrics.HandOffDelay.Quantile(0.99),
            metrics.DecodeStartDelay.Quantile(0.5),
            metrics.DecodeStartDelay.Quantile(0.99),
            metrics.DecodeTime.Quantile(0.5),
            metrics.DecodeTime.Quantile(0.99),
            metrics.FailSafeTotal,
            FailSafeBreakdown(),
            metrics.DroppedTotal,
            metrics.RecordedSamples,
            metrics.RecorderLostSamples,
            GC.CollectionCount(0),
            GC.CollectionCount(2),
            GC.GetTotalPauseDuration().TotalMilliseconds,
            seconds);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LogIntervalSeconds));
        var latencyBefore = metrics.Latency.Snapshot();
        long windowsBefore = metrics.Windows, decisionsBefore = metrics.Decisions, samplesBefore = metrics.Samples;
        long before = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = Stopwatch.GetTimestamp();
                double seconds = (double)(now - before) / Stopwatch.Frequency;
                var latencyNow = metrics.Latency.Snapshot();
                var interval = latencyNow.Since(latencyBefore);
                long windows = metrics.Windows, decisions = metrics.Decisions, samples = metrics.Samples;
                string model = TryModelId();
                LogInterval(
                    (windows - windowsBefore) / seconds,
                    (decisions - decisionsBefore) / seconds,
                    (samples - samplesBefore) / seconds,
                    interval.Quantile(0.5),
                    interval.Quantile(0.99),
                    latencyNow.Quantile(0.99),
                    metrics.DecodeTime.Quantile(0.99),
                    metrics.DroppedTotal,
                    metrics.FailSafeTotal,
                    FailSafeBreakdown(),
                    model);
                latencyBefore = latencyNow;
                windowsBefore = windows;
                decisionsBefore = decisions;
                samplesBefore = samples;
                before = now;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private string FailSafeBreakdown() =>
        string.Join(", ", FailSafeReasons.All.Where(r => metrics.FailSafe(r) > 0).Select(r => $"{r.Name()}={metrics.FailSafe(r)}"));

    private string TryModelId()
    {
        try
        {
            return models.Current.Id;
        }
        catch (InvalidOperationException)
        {
            return "none";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Decoder: {WindowsPerSecond:F1} windows/s, {DecisionsPerSecond:F1} decisions/s, {SamplesPerSecond:F0} samples/s; latency p50 {LatencyP50Ms:F3} ms p99 {LatencyP99Ms:F3} ms (p99 since start {LatencyP99AllMs:F3} ms); decoder p99 {DecodeP99Ms:F3} ms; drops {Drops}; fail-safe decisions {FailSafe} [{FailSafeReasons}]; model {ModelId}")]
    private partial void LogInterval(double windowsPerSecond, double decisionsPerSecond, double samplesPerSecond, double latencyP50Ms, double latencyP99Ms, double latencyP99AllMs, double decodeP99Ms, long drops, long failSafe, string failSafeReasons, string modelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Daemon summary: {Samples} samples, {Windows} windows decoded, {Decisions} decisions sent ({Commands} commands); latency p50 {LatencyP50Ms:F3} ms p99 {LatencyP99Ms:F3} ms (hand-off to the control thread p50 {HandOffP50Ms:F3} ms p99 {HandOffP99Ms:F3} ms; arrival to decoder p50 {StartDelayP50Ms:F3} ms p99 {StartDelayP99Ms:F3} ms; decoder p50 {DecodeP50Ms:F3} ms p99 {DecodeP99Ms:F3} ms); fail-safe decisions {FailSafe} [{FailSafeReasons}]; drops {Drops}; recorded {RecordedSamples} samples ({RecorderLostSamples} received but not recorded); {Gen0Collections} gen0 / {Gen2Collections} gen2 collections pausing {GcPauseMs:F1} ms; {Seconds:F1} s")]
    private partial void LogSummary(long samples, long windows, long decisions, long commands, double latencyP50Ms, double latencyP99Ms, double handOffP50Ms, double handOffP99Ms, double startDelayP50Ms, double startDelayP99Ms, double decodeP50Ms, double decodeP99Ms, long failSafe, string failSafeReasons, long drops, long recordedSamples, long recorderLostSamples, int gen0Collections, int gen2Collections, double gcPauseMs, double seconds);
}
