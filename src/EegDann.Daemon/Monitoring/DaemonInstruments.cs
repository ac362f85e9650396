using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// The daemon's System.Diagnostics.Metrics instruments, named as Prometheus names them (the names
/// docs/daemon.md lists): one definition for <c>/metrics</c> (<see cref="PrometheusExport"/>) and for
/// any other listener (<c>dotnet-counters monitor --counters EegDann.Daemon</c>, an OpenTelemetry SDK).
/// </summary>
/// <remarks>
/// Counts are observable instruments over <see cref="DaemonMetrics"/>' atomic counters: those are
/// read in the process anyway (console, log, readiness, benches), so the control path increments one
/// integer per event and the meter reads it when a listener collects. The decision latency is also
/// a pushed <see cref="Histogram{T}"/> (seconds, no tags), recorded where the decision is sent. The
/// quantiles of the four latency read-outs are gauges with a <c>quantile</c> tag, from
/// <see cref="LatencyHistogram"/> (HdrHistogram, within 1 % or 1 µs), beside their <c>_sum</c> and <c>_count</c> counters.
/// </remarks>
internal static class DaemonInstruments
{
    /// <summary>The decision latency histogram's bucket bounds, seconds (0.1 ms to 1 s).</summary>
    public static readonly IReadOnlyList<double> LatencyBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private static readonly double[] QuantileLevels = [0.5, 0.9, 0.99];

    /// <summary>Creates every instrument on <paramref name="meter"/>; returns the decision latency histogram the control path records into.</summary>
    public static Histogram<double> Create(Meter meter, DaemonMetrics metrics)
    {
        Count(meter, "eegdann_chunks_total", "Chunks received from the source.", () => metrics.Chunks);
        Count(meter, "eegdann_samples_total", "Samples (per channel) received from the source.", () => metrics.Samples);
        Count(meter, "eegdann_windows_decoded_total", "Windows decoded by the model.", () => metrics.Windows);
        Count(meter, "eegdann_control_thread_allocated_bytes_total", "Managed bytes allocated on the control path (hand-off, window stage, decoder, output; on the control thread, and on the acquisition thread while it runs the path): flat in steady state.", () => metrics.ControlThreadAllocatedBytes);
        Count(meter, "eegdann_control_path_inline_chunks_total", "Live chunks the acquisition thread carried through the control path itself, the path being idle (the others were handed to the control thread).", () => metrics.InlineChunks);
        Count(meter, "eegdann_decisions_total", "Decisions sent (decoded and fail-safe).", () => metrics.Decisions);
        Count(meter, "eegdann_commands_total", "Decisions whose command was a class, not none.", () => metrics.Commands);
        Count(meter, "eegdann_send_errors_total", "Decision datagrams that could not be sent.", () => metrics.SendErrors);
        meter.CreateObservableCounter("eegdann_failsafe_decisions_total", () => FailSafeReasons.All.Select(r => Tagged(metrics.FailSafe(r), "reason", r.Name())), description: "Decisions forced to none, by reason.");
        meter.CreateObservableCounter("eegdann_failsafe_episodes_total", () => FailSafeReasons.All.Select(r => Tagged(metrics.FailSafeEpisodes(r), "reason", r.Name())), description: "Entries into the fail-safe state, by reason.");
        meter.CreateObservableCounter("eegdann_dropped_total", () => Enum.GetValues<DaemonBuffer>().Select(b => Tagged(metrics.Dropped(b), "buffer", b.ToString().ToLowerInvariant())), description: "Items dropped because a buffer between stages was full, by buffer.");
        Count(meter, "eegdann_model_swaps_total", "Models swapped in while running.", () => metrics.ModelSwaps);
        Count(meter, "eegdann_model_rejections_total", "Candidate models rejected (bad file, did not fit).", () => metrics.ModelRejections);
        meter.CreateObservableCounter("eegdann_calibrations_total", () => new[] { Tagged(metrics.Calibrations, "outcome", "accepted"), Tagged(metrics.CalibrationsRejected, "outcome", "rejected") }, description: "Online calibrations, by outcome.");
        Count(meter, "eegdann_recorded_samples_total", "Samples written to session recordings.", () => metrics.RecordedSamples);
        Count(meter, "eegdann_recordings_total", "Session recordings completed.", () => metrics.Recordings);
        Count(meter, "eegdann_lsl_dropped_samples_total", "Samples an LSL source lost (outlet queue overflow, reconnects), seen in its time stamps.", () => metrics.LslDroppedSamples);
        meter.CreateObservableGauge("eegdann_lsl_sample_age_seconds", () => metrics.LslSampleAgeSeconds, unit: "s", description: "An LSL source's newest sample age on arrival: local clock minus its time-corrected stamp.");
        Count(meter, "eegdann_recorder_lost_samples_total", "Received samples the recorder could not write (buffer full, write failure, or stopped first).", () => metrics.RecorderLostSamples);
        Count(meter, "eegdann_recorder_failures_total", "Recorder failures (a file could not be created, written or completed).", () => metrics.RecorderFailures);
        Count(meter, "eegdann_tcp_clients_refused_total", "TCP clients refused or closed for a bad header or frame, or because another client was streaming.", () => metrics.TcpClientsRefused);

        Quantiles(meter, "eegdann_decision_latency_seconds", "From the arrival of a window's last sample to the send of its decision.", metrics.Latency);
        Quantiles(meter, "eegdann_decoder_seconds", "Decode time per window: the model's forward pass and the decision policy.", metrics.DecodeTime);
        Quantiles(meter, "eegdann_handoff_delay_seconds", "From a chunk's arrival to the control thread taking it.", metrics.HandOffDelay);
        Quantiles(meter, "eegdann_decode_start_delay_seconds", "From the arrival of a window's last sample to the start of its decoding (filters, features, queueing).", metrics.DecodeStartDelay);

        meter.CreateObservableCounter("eegdann_gc_collections_total", () => Enumerable.Range(0, 3).Select(g => Tagged((long)GC.CollectionCount(g), "generation", g.ToString(System.Globalization.CultureInfo.InvariantCulture))), description: "Garbage collections of the daemon's process, by generation.");
        meter.CreateObservableCounter("eegdann_gc_pause_seconds_total", () => GC.GetTotalPauseDuration().TotalSeconds, unit: "s", description: "Time the garbage collector paused the daemon's threads.");
        meter.CreateObservableGauge("eegdann_uptime_seconds", () => Stopwatch.GetElapsedTime(metrics.Started).TotalSeconds, unit: "s", description: "Seconds since the daemon started.");

        return meter.CreateHistogram(
            "eegdann_decision_latency_histogram_seconds",
            unit: "s",
            description: "From the arrival of a window's last sample to the send of its decision.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsSeconds });
    }

    private static void Count(Meter meter, string name, string description, Func<long> read) =>
        meter.CreateObservableCounter(name, read, description: description);

    private static Measurement<T> Tagged<T>(T value, string key, string tag)
        where T : struct => new(value, new KeyValuePair<string, object?>(key, tag));

    /// <summary>A summary's read-out: the quantiles (a gauge tagged <c>quantile</c>), <c>_sum</c> and <c>_count</c>.</summary>
    private static void Quantiles(Meter meter, string name, string description, LatencyHistogram histogram)
    {
        meter.CreateObservableGauge(
            name,
            () =>
            {
                var snapshot = histogram.Snapshot();
                return QuantileLevels.Select(q => Tagged(snapshot.Quantile(q) / 1000.0, "quantile", q.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            },
            unit: "s",
            description: description + " Quantiles within 1 % or 1 µs (NaN before the first).");
        meter.CreateObservableCounter(name + "_sum", () => histogram.SumSeconds, unit: "s", description: description + " Sum.");
        meter.CreateObservableCounter(name + "_count", () => histogram.Count, description: description + " Count.");
    }
}
