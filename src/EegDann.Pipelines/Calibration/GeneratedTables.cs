using System.Text;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// Rewrites the generated sections of a Markdown page: every
/// <c>&lt;!-- generated: KIND DIR [DIR2] [OPTIONS] --&gt;</c> line (KIND and OPTIONS as
/// <see cref="EvaluationTables.Render"/> takes them, DIR a report directory relative to the
/// repository root) is followed by the table that the report files give, up to the line
/// <c>&lt;!-- /generated --&gt;</c>. Everything outside the markers is kept byte for byte.
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

        var words = body[Open.Length..^3].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
        {
            throw new FormatException($"line {index + 1}: expected '{Open} KIND DIR [DIR2] [OPTIONS] -->'");
        }

        var options = words.Skip(1).Where(w => w.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var directories = words.Skip(1).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
        try
        {
            return EvaluationTables.Render(words[0], directories.Select(readReport).ToArray(), options);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"line {index + 1}: {e.Message}", e);
        }
    }
}
