namespace EegDann.Daemon.Replay;

/// <summary>The figures of a replay, per recording and over all of them.</summary>
/// <param name="ModelId">The model's id.</param>
/// <param name="Pipeline">Its pipeline.</param>
/// <param name="Speed">The pace asked (<c>max</c> or a multiple of real time).</param>
/// <param name="Parts">One line per recording.</param>
/// <param name="Total">All recordings together.</param>
/// <param name="StartupSeconds">Wall seconds before the first recording's processing (process start, model and libtorch load, warm-up), or null when not measured.</param>
public sealed record ReplaySummary(string ModelId, string Pipeline, string Speed, IReadOnlyList<ReplaySummary.Line> Parts, ReplaySummary.Line Total, double? StartupSeconds = null)
{
    /// <summary>What the timing figures of <see cref="ToJson"/> mean.</summary>
    public const string TimingDefinition =
        "processing_s: wall time of the signal path, from the first row group read to the last decision of each recording, summed (row-group reading and decoding, fail-safe checks, filters, windows, features, forward passes, decisions); " +
        "realtime_factor = signal_seconds / processing_s; " +
        "startup_s: process start to the first recording's processing (runtime, command line, model and libtorch load, a warm-up replay of the first seconds of the first recording through throwaway stages), not in processing_s; " +
        "realtime_factor_with_startup = signal_seconds / (processing_s + startup_s); " +
        "comparison_s: re-reading each recording and deciding it the batch way for batch_agreement, not in either";

    /// <summary>The figures of one recording or of all.</summary>
    /// <param name="Name">The recording, or <c>all</c>.</param>
    /// <param name="Subject">Its subject (empty for all).</param>
    /// <param name="Alignment">How it was aligned.</param>
    /// <param name="Windows">Window positions decided.</param>
    /// <param name="Decisions">Decisions per command (every class and <c>none</c>).</param>
    /// <param name="CuedWindows">Windows lying wholly within a cue.</param>
    /// <param name="Accuracy">Share of cued windows whose command is the cued class (<c>none</c> counts as wrong), or null without cued windows.</param>
    /// <param name="BatchAgreement">Share of windows whose command equals the batch path's, or null without a batch path.</param>
    /// <param name="LatencyP50">Arrival of a window's last sample → its decision, median, ms.</param>
    /// <param name="LatencyP99">The same, 99th percentile, ms.</param>
    /// <param name="SignalSeconds">Seconds of signal.</param>
    /// <param name="WallSeconds">Wall seconds of acquisition → window → decode.</param>
    /// <param name="CpuSeconds">CPU seconds of the process over the same span.</param>
    /// <param name="BatchNote">Why there is no batch comparison, or null.</param>
    /// <param name="ComparisonSeconds">Wall seconds of the batch comparison (not in <paramref name="WallSeconds"/>).</param>
    public sealed record Line(string Name, string Subject, string Alignment, int Windows, IReadOnlyDictionary<string, int> Decisions, int CuedWindows, double? Accuracy, double? BatchAgreement, double LatencyP50, double LatencyP99, double SignalSeconds, double WallSeconds, double CpuSeconds, string? BatchNote, double ComparisonSeconds = 0)
    {
        /// <summary>Seconds of signal per wall second.</summary>
        public double RealtimeFactor => WallSeconds > 0 ? SignalSeconds / WallSeconds : double.PositiveInfinity;

        /// <summary>Seconds of signal per CPU second (what a core of its own would give).</summary>
        public double RealtimeFactorCpu => CpuSeconds > 0 ? SignalSeconds / CpuSeconds : double.PositiveInfinity;
    }

    /// <summary>Summarises a replay.</summary>
    /// <param name="report">The replay.</param>
    /// <param name="speed">The pace asked.</param>
    /// <param name="startupSeconds">Wall seconds before the first recording's processing, when measured (the command adds the process's own start).</param>
    public static ReplaySummary Of(ReplayReport report, string speed, double? startupSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var commands = report.ClassNames.Append(EegDann.Daemon.Decoding.Decision.NoCommand).ToArray();
        var parts = report.Recordings.Select(r => Summarise(r.Recording, r.Subject, r.Alignment, r.Decisions, r.SignalSeconds, r.WallSeconds, r.CpuSeconds, r.BatchNote, commands) with { ComparisonSeconds = r.ComparisonSeconds }).ToArray();
        var all = report.Recordings.SelectMany(r => r.Decisions).ToArray();
        bool everyBatch = report.Recordings.All(r => r.BatchNote is null);
        var total = Summarise(
            "all",
            string.Empty,
            string.Join("/", report.Recordings.Select(r => r.Alignment).Distinct()),
            all,
            report.Recordings.Sum(r => r.SignalSeconds),
            report.Recordings.Sum(r => r.WallSeconds),
            report.Recordings.Sum(r => r.CpuSeconds),
            everyBatch ? null : "not every recording has a batch path",
            commands) with { ComparisonSeconds = report.Recordings.Sum(r => r.ComparisonSeconds) };
        return new ReplaySummary(report.ModelId, report.PipelineName, speed, parts, total, startupSeconds);
    }

    /// <summary>The summary as the JSON object <c>eegdann replay --json</c> prints.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var json = LineJson(Total);
        json.Remove("recording");
        json.Remove("subject");
        json["model"] = ModelId;
        json["pipeline"] = Pipeline;
        json["speed"] = Speed;
        json["startup_s"] = StartupSeconds;
        json["realtime_factor_with_startup"] = StartupSeconds is { } startup ? Total.SignalSeconds / (Total.WallSeconds + startup) : null;
        json["timing"] = TimingDefinition;
        json["recordings"] = Parts.Select(LineJson).ToArray();
        return json;
    }

    private static Dictionary<string, object?> LineJson(Line line) => new()
    {
        ["recording"] = line.Name,
        ["subject"] = line.Subject,
        ["alignment"] = line.Alignment,
        ["windows"] = line.Windows,
        ["decisions"] = line.Decisions,
        ["cued_windows"] = line.CuedWindows,
        ["accuracy_on_cued_windows"] = line.Accuracy,
        ["batch_agreement"] = line.BatchAgreement,
        ["batch_note"] = line.BatchNote,
        ["latency_ms"] = new Dictionary<string, double> { ["p50"] = line.LatencyP50, ["p99"] = line.LatencyP99 },
        ["signal_seconds"] = line.SignalSeconds,
        ["processing_s"] = line.WallSeconds,
        ["wall_seconds"] = line.WallSeconds,
        ["realtime_factor"] = line.RealtimeFactor,
        ["comparison_s"] = line.ComparisonSeconds,
        ["cpu_seconds"] = line.CpuSeconds,
        ["realtime_factor_cpu"] = line.RealtimeFactorCpu,
    };

    private static Line Summarise(string name, string subject, string alignment, IReadOnlyList<ReplayDecision> decisions, double signal, double wall, double cpu, string? note, IReadOnlyList<string> commands)
    {
        var counts = commands.ToDictionary(c => c, c => decisions.Count(d => d.Command == c), StringComparer.Ordinal);
        var cued = decisions.Where(d => d.Cue != null).ToArray();
        double? accuracy = cued.Length == 0 ? null : cued.Count(d => d.Command == d.Cue) / (double)cued.Length;
        double? agreement = note != null || decisions.Count == 0 ? null : decisions.Count(d => d.Command == d.BatchCommand) / (double)decisions.Count;
        var latencies = decisions.Select(d => d.LatencyMilliseconds).Order().ToArray();
        return new Line(name, subject, alignment, decisions.Count, counts, cued.Length, accuracy, agreement, Percentile(latencies, 0.50), Percentile(latencies, 0.99), signal, wall, cpu, note);
    }

    /// <summary>Nearest-rank percentile of sorted values (0 when empty).</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
