using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// Rewrites the generated sections of a Markdown page: every
/// <c>&lt;!-- generated: KIND DIR [DIR2] [OPTIONS] --&gt;</c> line (KIND and OPTIONS as
/// <see cref="EvaluationTables.Render"/> takes them, DIR a report directory relative to the
/// repository root) is followed by the table that the report files give, up to the line
/// <c>&lt;!-- /generated --&gt;</c>. Everything outside the markers is kept byte for byte.
/// The kind <c>bench FILE</c> renders the headline of an <c>eegdann bench --json</c> result file
/// (<see cref="BenchHeadline"/>); the kinds of <see cref="BenchmarkTables"/> render docs/benchmarks.md's
/// tables from the bench's result files. A word with spaces (a row's label) is written in double quotes.
/// </summary>
public static class GeneratedTables
{
    /// <summary>How a generated section opens.</summary>
    public const string Open = "<!-- generated:";

    /// <summary>The line that closes a generated section.</summary>
    public const string Close = "<!-- /generated -->";

    /// <summary>The page with every generated section computed again.</summary>
    /// <param name="markdown">The page (lines separated by <c>\n</c>).</param>
    /// <param name="readReport">Gives the <c>evaluation.json</c> text of a report directory as the marker names it.</param>
    /// <exception cref="FormatException">A marker that does not parse, an unclosed section or a stray close; the message names the line.</exception>
    public static string Rewrite(string markdown, Func<string, string> readReport)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentNullException.ThrowIfNull(readReport);
        var lines = markdown.Split('\n');
        var output = new StringBuilder(markdown.Length);
        int i = 0;
        while (i < lines.Length)
        {
            string line = lines[i];
            if (line.Trim() == Close)
            {
                throw new FormatException($"line {i + 1}: '{Close}' without an opening '{Open} … -->'");
            }

            if (!line.TrimStart().StartsWith(Open, StringComparison.Ordinal))
            {
                Append(output, line, i, lines.Length);
                i++;
                continue;
            }

            int openLine = i;
            string table = Render(line, openLine, readReport);
            int close = Array.FindIndex(lines, i + 1, l => l.Trim() == Close || l.TrimStart().StartsWith(Open, StringComparison.Ordinal));
            if (close < 0 || lines[close].Trim() != Close)
            {
                throw new FormatException($"line {openLine + 1}: generated section not closed by '{Close}'");
            }

            output.Append(line).Append('\n').Append(table);
            Append(output, lines[close], close, lines.Length);
            i = close + 1;
        }

        return output.ToString();
    }

    private static void Append(StringBuilder output, string line, int index, int count)
    {
        output.Append(line);
        if (index < count - 1)
        {
            output.Append('\n');
        }
    }

    private static string Render(string marker, int index, Func<string, string> readReport)
    {
        string body = marker.Trim();
        if (!body.EndsWith("-->", StringComparison.Ordinal))
        {
            throw new FormatException($"line {index + 1}: a generated marker is one line ending in '-->'");
        }

        var words = Words(body[Open.Length..^3], index);
        if (words.Length < 2)
        {
            throw new FormatException($"line {index + 1}: expected '{Open} KIND DIR [DIR2] [OPTIONS] -->'");
        }

        if (words[0] == BenchKind)
        {
            return words.Length == 2
                ? BenchHeadline(readReport(words[1]))
                : throw new FormatException($"line {index + 1}: expected '{Open} {BenchKind} FILE -->'");
        }

        string kind = words[0];
        var arguments = words[1..];
        try
        {
            if (BenchmarkTables.Kinds.Contains(kind))
            {
                return BenchmarkTables.Render(kind, arguments, readReport);
            }

            if (ReferenceTables.Kinds.Contains(kind))
            {
                return ReferenceTables.Render(kind, arguments.Select(readReport).ToArray());
            }

            var options = arguments.Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToArray();
            var directories = arguments.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
            return EvaluationTables.Render(kind, directories.Select(readReport).ToArray(), options);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"line {index + 1}: {e.Message}", e);
        }
    }

    /// <summary>A marker's words: separated by spaces, a word in double quotes kept whole (without its quotes).</summary>
    private static string[] Words(string text, int index)
    {
        var words = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == ' ')
            {
                i++;
                continue;
            }

            if (text[i] == '"')
            {
                int end = text.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"line {index + 1}: a quoted word of the marker is not closed");
                }

                words.Add(text[(i + 1)..end]);
                i = end + 1;
                continue;
            }

            int space = text.IndexOf(' ', i);
            int stop = space < 0 ? text.Length : space;
            words.Add(text[i..stop]);
            i = stop;
        }

        return [.. words];
    }

    /// <summary>The marker kind of <see cref="BenchHeadline"/>.</summary>
    public const string BenchKind = "bench";

    /// <summary>
    /// The headline table of an <c>eegdann bench --json</c> result: decode latency, replay speed,
    /// the DANN step beside PyTorch's, the calibration of one pair, and when and where it was measured.
    /// </summary>
    /// <param name="json">The result file's text.</param>
    /// <exception cref="FormatException">The text is not such a result.</exception>
    public static string BenchHeadline(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var decode = root.GetProperty("decode_latency_ms");
            var replay = root.GetProperty("replay");
            var step = root.GetProperty("train_step_ms");
            var machine = root.GetProperty("machine");
            string F(double value, int digits) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            string ratio = step.GetProperty("pytorch").ValueKind == JsonValueKind.Number
                ? $"{F(step.GetProperty("eegdann").GetDouble(), 3)} ms; PyTorch {F(step.GetProperty("pytorch").GetDouble(), 3)} ms in the same run ({F(step.GetProperty("pytorch_over_eegdann").GetDouble(), 2)}× faster)"
                : $"{F(step.GetProperty("eegdann").GetDouble(), 3)} ms (PyTorch not measured)";
            string load = string.Join(" → ", new[] { "load_average_start", "load_average_end" }
                .Select(name => machine.TryGetProperty(name, out var l) && l.GetArrayLength() > 0 ? F(l[0].GetDouble(), 1) : "?"));
            // The informational version is VERSION+COMMIT; the table shows the commit's first 7 digits.
            string[] version = (root.GetProperty("eegdann").GetString() ?? string.Empty).Split('+', 2);
            string commit = version.Length == 2 ? version[1][..Math.Min(7, version[1].Length)] : "?";
            var table = new StringBuilder();
            table.Append("| measure | value |\n|---|---|\n");
            table.Append(CultureInfo.InvariantCulture, $"| decode latency p50 / p99 (a window's last sample → its datagram) | {F(decode.GetProperty("p50").GetDouble(), 2)} / {F(decode.GetProperty("p99").GetDouble(), 2)} ms ({decode.GetProperty("windows").GetInt64()} windows) |\n");
            table.Append(CultureInfo.InvariantCulture, $"| replay `--speed max` ({replay.GetProperty("recordings").GetArrayLength()} recordings) | {F(root.GetProperty("replay_realtime_factor").GetDouble(), 0)}× real time, batch agreement {F(replay.GetProperty("batch_agreement").GetDouble(), 3)} |\n");
            table.Append(CultureInfo.InvariantCulture, $"| DANN training step | {ratio} |\n");
            table.Append(CultureInfo.InvariantCulture, $"| `calibrate-new-subject` S001 → S002, every baseline | {F(root.GetProperty("calibrate_pair_s").GetDouble(), 2)} s |\n");
            table.Append(CultureInfo.InvariantCulture, $"| measured | {root.GetProperty("started_utc").GetString()?[..10]}, commit {commit}, {machine.GetProperty("cores").GetInt32()} cores ({machine.GetProperty("cpu_model").GetString()}), load average {load} |\n");
            return table.ToString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"not an 'eegdann bench --json' result: {e.Message}", e);
        }
    }
}
