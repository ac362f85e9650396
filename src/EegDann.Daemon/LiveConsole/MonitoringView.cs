using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Daemon.Monitoring;
using static EegDann.Daemon.LiveConsole.ConsoleJson;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The console's monitoring panel: the decode latency over about the last ten seconds (a
/// histogram of the daemon's latency counters, sampled once per frame), windows per second, and
/// the daemon's and the console's own drop and fail-safe counters; written into each frame as
/// <c>latency</c>, <c>rates</c>, <c>drops</c>, <c>failSafe</c> and <c>clients</c>.
/// </summary>
/// <remarks>Owned by the console's worker: not thread-safe.</remarks>
internal sealed class MonitoringView(DaemonMetrics metrics, ConsoleTap tap, ConsoleHub hub)
{
    private static readonly double[] LatencyBinsMs = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, double.PositiveInfinity];
    private readonly Queue<(long Timestamp, LatencySnapshot Latency, long Windows)> _history = new();

    /// <summary>Samples the counters at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp), keeping about ten seconds.</summary>
    public void Sample(long now)
    {
        _history.Enqueue((now, metrics.Latency.Snapshot(), metrics.Windows));
        while (_history.Count > 2 && Stopwatch.GetElapsedTime(_history.Peek().Timestamp, now).TotalSeconds > 10.0)
        {
            _history.Dequeue();
        }
    }

    /// <summary>Writes the panel's properties into the frame object being written (after at least one <see cref="Sample"/>).</summary>
    public void Write(Utf8JsonWriter w)
    {
        var (oldest, newest) = (_history.Peek(), _history.Last());
        var recent = newest.Latency.Since(oldest.Latency);
        double span = Stopwatch.GetElapsedTime(oldest.Timestamp, newest.Timestamp).TotalSeconds;
        w.WriteStartObject("latency");
        w.WriteNumber("count", recent.Count);
        Number(w, "p50", recent.Quantile(0.5), 3);
        Number(w, "p99", recent.Quantile(0.99), 3);
        Number(w, "seconds", span, 1);
        w.WriteStartArray("bins");
        var counts = new long[LatencyBinsMs.Length];
        foreach (var (upper, count) in recent.Buckets())
        {
            // A bucket goes to the first bin that holds all of it (its highest value).
            int bin = Array.FindIndex(LatencyBinsMs, b => upper <= b * 1.0000001);
            counts[bin < 0 ? counts.Length - 1 : bin] += count;
        }

        for (int b = 0; b < LatencyBinsMs.Length; b++)
        {
            w.WriteStartObject();
            w.WriteString("le", double.IsPositiveInfinity(LatencyBinsMs[b]) ? "+Inf" : LatencyBinsMs[b].ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("count", counts[b]);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("rates");
        Number(w, "windowsPerSecond", span > 0 ? (newest.Windows - oldest.Windows) / span : double.NaN, 2);
        w.WriteNumber("windows", metrics.Windows);
        w.WriteNumber("decisions", metrics.Decisions);
        w.WriteNumber("commands", metrics.Commands);
        w.WriteEndObject();

        w.WriteStartObject("drops");
        foreach (var buffer in Enum.GetValues<DaemonBuffer>())
        {
            w.WriteNumber(buffer.ToString().ToLowerInvariant(), metrics.Dropped(buffer));
        }

        w.WriteNumber("console_events", tap.DroppedEvents);
        w.WriteNumber("console_decisions", tap.DroppedDecisions);
        w.WriteNumber("console_frames", hub.DroppedFrames);
        w.WriteEndObject();

        w.WriteStartObject("failSafe");
        foreach (var reason in FailSafeReasons.All)
        {
            w.WriteNumber(reason.Name(), metrics.FailSafe(reason));
        }

        w.WriteEndObject();
        w.WriteNumber("clients", hub.Clients);
    }
}
