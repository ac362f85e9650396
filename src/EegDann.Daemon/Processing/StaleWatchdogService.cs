using System.Diagnostics;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Processing;

/// <summary>
/// Watches the input's pulse: once a stream has started, if no samples arrive for
/// <see cref="FailSafeOptions.StaleAfterMilliseconds"/>, it sends a <c>none</c> heartbeat (reason
/// <c>stale</c>) every <see cref="FailSafeOptions.StaleHeartbeatMilliseconds"/> until samples
/// flow again, so the controller always hears from the daemon. Independent of reconnection. The
/// heartbeats go through the control thread like everything the controller receives. Staleness
/// is a real-time notion: an unpaced replay (which waits for the daemon) is never stale.
/// </summary>
internal sealed partial class StaleWatchdogService(IOptions<FailSafeOptions> options, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, ILogger<StaleWatchdogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(o.StaleHeartbeatMilliseconds, o.StaleAfterMilliseconds)));
        long lastHeartbeat = 0;
        bool stale = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long last = metrics.LastArrival;
                if (!runtime.StreamSeen || last == 0 || runtime.Pacing != SourcePacing.Live)
                {
                    continue;
                }

                double silentMs = Stopwatch.GetElapsedTime(last).TotalMilliseconds;
                if (silentMs < o.StaleAfterMilliseconds)
                {
                    if (stale)
                    {
                        stale = false;
                        LogResumed();
                    }

                    continue;
                }

                if (!stale)
                {
                    stale = true;
                    metrics.FailSafeEntered(FailSafeReason.Stale);
                    LogStale(silentMs, runtime.LastEnd);
                }

                if (Stopwatch.GetElapsedTime(lastHeartbeat).TotalMilliseconds >= o.StaleHeartbeatMilliseconds)
                {
                    lastHeartbeat = Stopwatch.GetTimestamp();
                    if (!pipes.Acquired.Writer.TryWrite(new StaleTick(lastHeartbeat)))
                    {
                        metrics.Drop(DaemonBuffer.Acquisition);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fail-safe (stale): no samples for {SilentMs:F0} ms after sample {Sample}; sending none heartbeats")]
    private partial void LogStale(double silentMs, long sample);

    [LoggerMessage(Level = LogLevel.Information, Message = "Samples flow again (fail-safe stale cleared)")]
    private partial void LogResumed();
}
