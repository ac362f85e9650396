using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The tables of docs/benchmarks.md that come from the bench's result files in
/// <c>bench/results</c>, so that the page quotes the committed runs instead of retyping them.
/// Each kind renders one layout of one bench's JSON; the numbers are rounded as the page has
/// always shown them. <see cref="GeneratedTables"/> calls <see cref="Render"/> for the markers
/// whose kind is one of <see cref="Kinds"/>.
/// </summary>
public static class BenchmarkTables
{
    /// <summary>The kinds of table.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [SoakKind, DaemonLoadKind, ConsoleLoadKind, DaemonLatencyKind];

    /// <summary>
    /// <c>soak LABEL FILE [LABEL FILE ...] [--rss-decimals=N] [--heap-max] [--threads]</c>: one row per
    /// <c>bench -- soak</c> result (24 h in, resident set and managed heap at the end of the warm-up
    /// and at the end, the resident peak after the warm-up, the forward pass p99 of the last interval
    /// and its maximum); <c>--rss-decimals</c> the resident set's decimals (0 unless given),
    /// <c>--heap-max</c> the managed heap's maximum after the warm-up, <c>--threads</c> a column of
    /// threads. A label with spaces is written in double quotes in the marker.
    /// </summary>
    public const string SoakKind = "soak";

    /// <summary>
    /// <c>daemon-load FILE</c>: one row per run and condition of <c>bench -- daemon-load</c> (datagrams,
    /// sequence gaps, latency p50/p99/max, hand-off and forward-pass p99, the process's collections and
    /// their pauses, calibrations finished).
    /// </summary>
    public const string DaemonLoadKind = "daemon-load";

    /// <summary>
    /// <c>console-load FILE</c>: one row per run and number of consoles of <c>bench -- console-load</c>
    /// (datagrams, sequence gaps, latency p50/p99, forward-pass p99, frames each console received).
    /// </summary>
    public const string ConsoleLoadKind = "console-load";

    /// <summary>
    /// <c>daemon-latency FILE</c>: one row per control-thread scheduling of <c>bench -- daemon-latency</c>
    /// (datagrams and windows expected, sequence gaps, latency p50/p99/max, windows per second, stop
    /// time, samples recorded of the recording's).
    /// </summary>
    public const string DaemonLatencyKind = "daemon-latency";

    private const string RssDecimalsOption = "--rss-decimals=";
    private const string HeapMaxOption = "--heap-max";
    private const string ThreadsOption = "--threads";

    /// <summary>Renders one table as Markdown (lines ending in a newline).</summary>
    /// <param name="kind">One of <see cref="Kinds"/>.</param>
    /// <param name="arguments">The marker's words after the kind: file paths as <paramref name="readFile"/> takes them, labels and options as the kind reads them.</param>
    /// <param name="readFile">Gives a result file's text.</param>
    /// <exception cref="ArgumentException">An unknown kind, arguments the kind does not read, or a file that is not the kind's result.</exception>
    public static string Render(string kind, IReadOnlyList<string> arguments, Func<string, string> readFile)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(readFile);
        var options = arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var positional = arguments.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        try
        {
            return kind switch
            {
                SoakKind => Soak(positional, options, readFile),
                DaemonLoadKind => DaemonLoad(OneFile(kind, positional, options, readFile)),
                ConsoleLoadKind => ConsoleLoad(OneFile(kind, positional, options, readFile)),
                DaemonLatencyKind => DaemonLatency(OneFile(kind, positional, options, readFile)),
                _ => throw new ArgumentException($"unknown table '{kind}' (known: {string.Join(", ", Kinds)})", nameof(kind)),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"table '{kind}': {e.Message}", nameof(arguments), e);
        }
    }

    private static string Soak(string[] positional, string[] options, Func<string, string> readFile)
    {
        int rssDecimals = 0;
        bool heapMax = false, threads = false;
        foreach (string option in options)
        {
            if (option.StartsWith(RssDecimalsOption, StringComparison.Ordinal)
                && int.TryParse(option[RssDecimalsOption.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int decimals) && decimals <= 3)
            {
                rssDecimals = decimals;
            }
            else if (option == HeapMaxOption)
            {
                heapMax = true;
            }
            else if (option == ThreadsOption)
            {
                threads = true;
            }
            else
            {
                throw new ArgumentException($"table '{SoakKind}': unknown option '{option}' (known: {RssDecimalsOption}N, {HeapMaxOption}, {ThreadsOption})");
            }
        }

        if (positional.Length == 0 || positional.Length % 2 != 0)
        {
            throw new ArgumentException($"table '{SoakKind}' reads LABEL FILE pairs, not {positional.Length} word(s)");
        }

        var table = new StringBuilder();
        table.Append("| run | file | 24 h in | RSS at 2 h → 24 h | RSS max after 2 h | managed heap 2 h → 24 h")
            .Append(heapMax ? " (max)" : string.Empty).Append(" |")
            .Append(threads ? " threads (max) |" : string.Empty)
            .Append(" forward pass p99 (max) |\n");
        table.Append("|---|---|---:|---:|---:|---:|").Append(threads ? "---:|" : string.Empty).Append("---:|\n");
        for (int i = 0; i < positional.Length; i += 2)
        {
            string label = positional[i], file = positional[i + 1];
            using var document = JsonDocument.Parse(readFile(file));
            var summary = document.RootElement.GetProperty("summary");
            var rss = summary.GetProperty("rss_mb");
            var heap = summary.GetProperty("gc_heap_mb");
            var forward = summary.GetProperty("forward_pass_p99_ms");
            table.Append(CultureInfo.InvariantCulture, $"| {label} | `{file}` | {F(summary, "wall_seconds", 0)} s ({F(summary, "realtime_factor", 0)}×) ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(rss, "at_warmup", rssDecimals)} → {F(rss, "end", rssDecimals)} MB, **{Signed(rss, "growth_percent")} %** ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(rss, "max_after_warmup", rssDecimals)} MB, **{Signed(rss, "max_growth_percent")} %** ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(heap, "at_warmup", 0)} → {F(heap, "end", 0)} MB");
            table.Append(heapMax ? $" ({F(heap, "max_after_warmup", 0)})" : string.Empty).Append(' ');
            if (threads)
            {
                var t = summary.GetProperty("threads");
                table.Append(CultureInfo.InvariantCulture, $"| {F(t, "at_warmup", 0)} → {F(t, "end", 0)} ({F(t, "max_after_warmup", 0)}) ");
            }

            table.Append(CultureInfo.InvariantCulture, $"| {F(forward, "last_interval", 3)} ms ({F(forward, "max", 3)}) |\n");
        }

        return table.ToString();
    }

    /// <summary>The text of the one file a kind reads, without options.</summary>
    private static string OneFile(string kind, string[] positional, string[] options, Func<string, string> readFile)
    {
        if (options.Length > 0)
        {
            throw new ArgumentException($"table '{kind}': unknown option '{options[0]}'");
        }

        return positional.Length == 1
            ? readFile(positional[0])
            : throw new ArgumentException($"table '{kind}' reads 1 file, not {positional.Length}");
    }

    private static string DaemonLoad(string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new StringBuilder();
        table.Append("| run | condition | datagrams | seq gaps | p50 | p99 | max | hand-off p99 | forward p99 | GC gen0/1/2, pause | calibrations |\n");
        table.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
        foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
        {
            int hogs = run.GetProperty("cpu_hogs").GetInt32();
            bool calibrator = run.GetProperty("calibrator_training").GetBoolean();
            var load = new List<string>();
            if (calibrator)
            {
                load.Add("calibrator");
            }

            if (hogs > 0)
            {
                load.Add(hogs == 1 ? "1 hog" : $"{hogs} hogs");
            }

            string condition = load.Count == 0 ? "quiet" : string.Join(" + ", load);
            var latency = run.GetProperty("latency_ms");
            var gc = run.GetProperty("gc");
            table.Append(CultureInfo.InvariantCulture, $"| {run.GetProperty("run").GetInt32()} | {condition} | {run.GetProperty("datagrams").GetInt64()} | {run.GetProperty("seq_gaps").GetInt64()} ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(latency, "p50", 2)} ms | {F(latency, "p99", 2)} ms | {F(latency, "max", 1)} ms ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(run, "hand_off_p99_ms", 2)} ms | {F(run, "forward_pass_p99_ms", 3)} ms ");
            table.Append(CultureInfo.InvariantCulture, $"| {gc.GetProperty("gen0").GetInt64()}/{gc.GetProperty("gen1").GetInt64()}/{gc.GetProperty("gen2").GetInt64()}, {F(gc, "pause_ms", 0)} ms | {run.GetProperty("calibrations_finished").GetInt64()} |\n");
        }

        return table.ToString();
    }

    private static string ConsoleLoad(string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new StringBuilder();
        table.Append("| run | consoles | datagrams | seq gaps | latency p50 | latency p99 | forward pass p99 | frames per console |\n");
        table.Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var run in document.RootElement.EnumerateArray())
        {
            var latency = run.GetProperty("latency_ms");
            var frames = run.GetProperty("console_frames").EnumerateArray().Select(f => f.GetInt64()).ToArray();
            string received = frames.Length == 0 ? "–"
                : frames.Min() == frames.Max() ? frames[0].ToString(CultureInfo.InvariantCulture)
                : $"{frames.Min().ToString(CultureInfo.InvariantCulture)}–{frames.Max().ToString(CultureInfo.InvariantCulture)}";
            table.Append(CultureInfo.InvariantCulture, $"| {run.GetProperty("run").GetInt32()} | {run.GetProperty("consoles").GetInt32()} | {run.GetProperty("datagrams").GetInt64()} | {run.GetProperty("seq_gaps").GetInt64()} ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(latency, "p50", 2)} ms | {F(latency, "p99", 2)} ms | {F(run, "forward_pass_p99_ms", 2)} ms | {received} |\n");
        }

        return table.ToString();
    }

    private static string DaemonLatency(string json)
    {
        using var document = JsonDocument.Parse(json);
        var table = new StringBuilder();
        table.Append("| control thread | datagrams (windows expected) | seq gaps | latency p50 | p99 | max | windows/s | stop | samples recorded |\n");
        table.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var run in document.RootElement.EnumerateArray())
        {
            var latency = run.GetProperty("latency_ms");
            table.Append(CultureInfo.InvariantCulture, $"| `{run.GetProperty("scheduling").GetString()}` | {run.GetProperty("datagrams").GetInt64()} ({run.GetProperty("windows_expected").GetInt64()}) | {run.GetProperty("seq_gaps").GetInt64()} ");
            table.Append(CultureInfo.InvariantCulture, $"| {F(latency, "p50", 2)} ms | {F(latency, "p99", 2)} ms | {F(latency, "max", 1)} ms | {F(run, "windows_per_second", 0)} | {F(run, "stop_seconds", 2)} s ");
            table.Append(CultureInfo.InvariantCulture, $"| {run.GetProperty("recorded_samples").GetInt64()} of {run.GetProperty("recording_samples").GetInt64()} |\n");
        }

        return table.ToString();
    }

    /// <summary>A number of the file with a fixed number of decimals.</summary>
    private static string F(JsonElement parent, string name, int decimals) =>
        parent.GetProperty(name).GetDouble().ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A percentage with one decimal and its sign, the minus as U+2212.</summary>
    private static string Signed(JsonElement parent, string name)
    {
        string text = F(parent, name, 1);
        return text.StartsWith('-') ? "−" + text[1..] : "+" + text;
    }
}
