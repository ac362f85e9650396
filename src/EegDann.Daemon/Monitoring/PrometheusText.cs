using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EegDann.Daemon.Monitoring;

/// <summary>The daemon's metrics in the Prometheus text exposition format (version 0.0.4).</summary>
public static class PrometheusText
{
    /// <summary>The content type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] LatencyBucketsMs = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

    /// <summary>Renders every metric.</summary>
    /// <param name="metrics">The counters.</param>
    /// <param name="modelId">The model in use, or null.</param>
    /// <param name="modelGeneration">Its generation.</param>
    public static string Render(DaemonMetrics metrics, string? modelId, long modelGeneration)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var text = new StringBuilder(4096);
        Counter(text, "eegdann_chunks_total", "Chunks received from the source.", metrics.Chunks);
        Counter(text, "eegdann_samples_total", "Samples (per channel) received from the source.", metrics.Samples);
        Counter(text, "eegdann_windows_decoded_total", "Windows decoded by the model.", metrics.Windows);
        Counter(text, "eegdann_decisions_total", "Decisions sent (decoded and fail-safe).", metrics.Decisions);
        Counter(text, "eegdann_commands_total", "Decisions whose command was a class, not none.", metrics.Commands);
        Counter(text, "eegdann_send_errors_total", "Decision datagrams that could not be sent.", metrics.SendErrors);
        Header(text, "eegdann_failsafe_decisions_total", "Decisions forced to none, by reason.", "counter");
        foreach (var reason in FailSafeReasons.All)
        {
            Sample(text, "eegdann_failsafe_decisions_total", $"reason=\"{reason.Name()}\"", metrics.FailSafe(reason));
        }

        Header(text, "eegdann_failsafe_episodes_total", "Entries into the fail-safe state, by reason.", "counter");
        foreach (var reason in FailSafeReasons.All)
        {
            Sample(text, "eegdann_failsafe_episodes_total", $"reason=\"{reason.Name()}\"", metrics.FailSafeEpisodes(reason));
        }

        Header(text, "eegdann_dropped_total", "Items dropped because a buffer between stages was full, by buffer.", "counter");
        foreach (var buffer in Enum.GetValues<DaemonBuffer>())
        {
            Sample(text, "eegdann_dropped_total", $"buffer=\"{buffer.ToString().ToLowerInvariant()}\"", metrics.Dropped(buffer));
        }

        Counter(text, "eegdann_model_swaps_total", "Models swapped in while running.", metrics.ModelSwaps);
        Counter(text, "eegdann_model_rejections_total", "Candidate models rejected (bad file, did not fit).", metrics.ModelRejections);
        Header(text, "eegdann_calibrations_total", "Online calibrations, by outcome.", "counter");
        Sample(text, "eegdann_calibrations_total", "outcome=\"accepted\"", metrics.Calibrations);
        Sample(text, "eegdann_calibrations_total", "outcome=\"rejected\"", metrics.CalibrationsRejected);
        Counter(text, "eegdann_recorded_samples_total", "Samples written to session recordings.", metrics.RecordedSamples);
        Counter(text, "eegdann_recordings_total", "Session recordings completed.", metrics.Recordings);
        Counter(text, "eegdann_lsl_dropped_samples_total", "Samples an LSL source lost (outlet queue overflow, reconnects), seen in its time stamps.", metrics.LslDroppedSamples);
        Header(text, "eegdann_lsl_sample_age_seconds", "An LSL source's newest sample age on arrival: local clock minus its time-corrected stamp.", "gauge");
        Sample(text, "eegdann_lsl_sample_age_seconds", null, metrics.LslSampleAgeSeconds);
        Counter(text, "eegdann_recorder_lost_samples_total", "Received samples the recorder could not write (buffer full, write failure, or stopped first).", metrics.RecorderLostSamples);
        Counter(text, "eegdann_recorder_failures_total", "Recorder failures (a file could not be created, written or completed).", metrics.RecorderFailures);
        Counter(text, "eegdann_tcp_clients_refused_total", "TCP clients refused or closed for a bad header or frame, or because another client was streaming.", metrics.TcpClientsRefused);

        Summary(text, "eegdann_decision_latency_seconds", "From the arrival of a window's last sample to the send of its decision.", metrics.Latency);
        Histogram(text, "eegdann_decision_latency_histogram_seconds", "From the arrival of a window's last sample to the send of its decision (buckets within 2%).", metrics.Latency);
        Summary(text, "eegdann_decoder_seconds", "Decode time per window: the model's forward pass and the decision policy.", metrics.DecodeTime);
        Summary(text, "eegdann_handoff_delay_seconds", "From a chunk's arrival to the control thread taking it.", metrics.HandOffDelay);
        Summary(text, "eegdann_decode_start_delay_seconds", "From the arrival of a window's last sample to the start of its decoding (filters, features, queueing).", metrics.DecodeStartDelay);

        Header(text, "eegdann_gc_collections_total", "Garbage collections of the daemon's process, by generation.", "counter");
        for (int generation = 0; generation <= 2; generation++)
        {
            Sample(text, "eegdann_gc_collections_total", $"generation=\"{generation}\"", GC.CollectionCount(generation));
        }

        Header(text, "eegdann_gc_pause_seconds_total", "Time the garbage collector paused the daemon's threads.", "counter");
        Sample(text, "eegdann_gc_pause_seconds_total", null, GC.GetTotalPauseDuration().TotalSeconds);
        Header(text, "eegdann_uptime_seconds", "Seconds since the daemon started.", "gauge");
        Sample(text, "eegdann_uptime_seconds", null, Stopwatch.GetElapsedTime(metrics.Started).TotalSeconds);
        Header(text, "eegdann_model_generation", "Which model is in use (1 for the first, +1 per swap).", "gauge");
        Sample(text, "eegdann_model_generation", null, modelGeneration);
        if (modelId != null)
        {
            Header(text, "eegdann_model_info", "The model in use.", "gauge");
            Sample(text, "eegdann_model_info", $"id=\"{modelId}\"", 1);
        }

        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, help, "counter");
        Sample(text, name, null, value);
    }

    private static void Summary(StringBuilder text, string name, string help, LatencyHistogram histogram)
    {
        Header(text, name, help, "summary");
        foreach (double q in new[] { 0.5, 0.9, 0.99 })
        {
            double ms = histogram.Quantile(q);
            Sample(text, name, $"quantile=\"{q.ToString(CultureInfo.InvariantCulture)}\"", double.IsNaN(ms) ? double.NaN : ms / 1000.0);
        }

        Sample(text, name + "_sum", null, histogram.SumSeconds);
        Sample(text, name + "_count", null, histogram.Count);
    }

    private static void Histogram(StringBuilder text, string name, string help, LatencyHistogram histogram)
    {
        Header(text, name, help, "histogram");
        var counts = histogram.CumulativeAt(LatencyBucketsMs);
        for (int i = 0; i < LatencyBucketsMs.Length; i++)
        {
            Sample(text, name + "_bucket", $"le=\"{(LatencyBucketsMs[i] / 1000.0).ToString(CultureInfo.InvariantCulture)}\"", counts[i]);
        }

        Sample(text, name + "_bucket", "le=\"+Inf\"", histogram.Count);
        Sample(text, name + "_sum", null, histogram.SumSeconds);
        Sample(text, name + "_count", null, histogram.Count);
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string? labels, double value)
    {
        text.Append(name);
        if (labels != null)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }
}
