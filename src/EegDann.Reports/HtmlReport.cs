using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace EegDann.Reports;

/// <summary>
/// Turns a report's Markdown into one self-contained HTML page: every image the Markdown links is
/// embedded as a <c>data:</c> URI, the style is inline, nothing is fetched when it opens. The page
/// shows whatever the Markdown holds (headings, paragraphs, tables, lists, quotes, code), so a
/// section added to a report appears in its HTML without changes here.
/// </summary>
/// <remarks>
/// The Markdown subset is the one the reports write: ATX headings, pipe tables with an alignment
/// row, <c>-</c>/<c>*</c> and numbered lists, <c>&gt;</c> quotes, fenced code, paragraphs, and
/// inline <c>`code`</c>, <c>**bold**</c>, <c>*italic*</c>, links and images. Everything else is
/// shown as text; all text is HTML-escaped.
/// </remarks>
public static partial class HtmlReport
{
    /// <summary>Renders <paramref name="markdown"/> as a complete HTML document.</summary>
    /// <param name="title">The page title (the first heading is used when null).</param>
    /// <param name="markdown">The report's Markdown.</param>
    /// <param name="image">The bytes of an image the Markdown links by its target (e.g. <c>methods.png</c>), or null when it has none (the image is then left out with its alt text shown).</param>
    public static string Render(string? title, string markdown, Func<string, byte[]?> image)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentNullException.ThrowIfNull(image);
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        title ??= lines.Select(l => l.TrimStart()).FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#').Trim() ?? "report";
        var body = new StringBuilder();
        new Block(lines, image, body).Run();
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Escape(StripInline(title))}}</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1d232a; line-height: 1.45; }
            table { border-collapse: collapse; margin: 1rem 0; }
            th, td { border: 1px solid #c9d1d9; padding: .3rem .6rem; }
            th { background: #f0f3f6; }
            td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
            td.c, th.c { text-align: center; }
            img { max-width: 100%; height: auto; display: block; margin: 1rem 0; }
            code { background: #f0f3f6; padding: 0 .25rem; border-radius: 3px; }
            pre { background: #f0f3f6; padding: .6rem; overflow-x: auto; }
            blockquote { border-left: 4px solid #c9d1d9; margin: 1rem 0; padding: 0 1rem; color: #444; }
            .missing { color: #a00; }
            </style>
            </head>
            <body>
            {{body}}</body>
            </html>

            """;
    }

    /// <summary>HTML-escapes text.</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string StripInline(string text) => text.Replace("**", string.Empty, StringComparison.Ordinal).Replace("`", string.Empty, StringComparison.Ordinal);

    /// <summary>Inline Markdown to HTML: code spans first (their content is literal), then images, links, bold, italic.</summary>
    private static string Inline(string text, Func<string, byte[]?> image)
    {
        var output = new StringBuilder();
        var parts = text.Split('`');
        for (int i = 0; i < parts.Length; i++)
        {
            // Odd parts lie between backticks; an unmatched last backtick is literal.
            if (i % 2 == 1 && i < parts.Length - 1)
            {
                output.Append("<code>").Append(Escape(parts[i])).Append("</code>");
                continue;
            }

            string part = i % 2 == 1 ? "`" + parts[i] : parts[i];
            output.Append(Emphasis(Links(part, image)));
        }

        return output.ToString();
    }

    private static string Links(string text, Func<string, byte[]?> image)
    {
        var output = new StringBuilder();
        int last = 0;
        foreach (Match m in LinkPattern().Matches(text))
        {
            output.Append(Escape(text[last..m.Index]));
            string alt = m.Groups["text"].Value;
            string target = m.Groups["target"].Value;
            if (m.Groups["bang"].Success)
            {
                var bytes = image(target);
                output.Append(bytes is null
                    ? $"<span class=\"missing\">[image {Escape(alt)}: {Escape(target)} not found]</span>"
                    : $"<img alt=\"{Escape(alt)}\" src=\"data:{MediaType(target)};base64,{Convert.ToBase64String(bytes)}\">");
            }
            else
            {
                output.Append(CultureInfo.InvariantCulture, $"<a href=\"{Escape(target)}\">{Escape(alt)}</a>");
            }

            last = m.Index + m.Length;
        }

        output.Append(Escape(text[last..]));
        return output.ToString();
    }

    private static string Emphasis(string escaped)
    {
        // The text is escaped already; '*' survives escaping.
        string bold = BoldPattern().Replace(escaped, "<strong>$1</strong>");
        return ItalicPattern().Replace(bold, "<em>$1</em>");
    }

    private static string MediaType(string target) => Path.GetExtension(target).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".svg" => "image/svg+xml",
        ".gif" => "image/gif",
        _ => "application/octet-stream",
    };

    [GeneratedRegex(@"(?<bang>!)?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")]
    private static partial Regex ItalicPattern();

    [GeneratedRegex(@"^\s*(?:[-*]|\d+\.)\s+")]
    private static partial Regex ListItemPattern();

    [GeneratedRegex(@"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")]
    private static partial Regex AlignmentRowPattern();

    /// <summary>The block-level pass over the lines.</summary>
    private sealed class Block(string[] lines, Func<string, byte[]?> image, StringBuilder html)
    {
        private int _i;

        public void Run()
        {
            while (_i < lines.Length)
            {
                string line = lines[_i];
                string trimmed = line.Trim();
                if (trimmed.Length == 0)
                {
                    _i++;
                }
                else if (trimmed.StartsWith("```", StringComparison.Ordinal))
                {
                    Fence();
                }
                else if (trimmed.StartsWith('#'))
                {
                    int level = Math.Min(6, trimmed.TakeWhile(c => c == '#').Count());
                    html.Append(CultureInfo.InvariantCulture, $"<h{level}>{Inline(trimmed[level..].Trim(), image)}</h{level}>\n");
                    _i++;
                }
                else if (trimmed.StartsWith('|') && _i + 1 < lines.Length && AlignmentRowPattern().IsMatch(lines[_i + 1]))
                {
                    Table();
                }
                else if (trimmed.StartsWith('>'))
                {
                    Quote();
                }
                else if (ListItemPattern().IsMatch(line))
                {
                    List();
                }
                else
                {
                    Paragraph();
                }
            }
        }

        private void Fence()
        {
            _i++;
            var code = new StringBuilder();
            while (_i < lines.Length && !lines[_i].Trim().StartsWith("```", StringComparison.Ordinal))
            {
                code.Append(lines[_i]).Append('\n');
                _i++;
            }

            _i++;
            html.Append("<pre><code>").Append(Escape(code.ToString())).Append("</code></pre>\n");
        }

        private void Table()
        {
            var header = Cells(lines[_i]);
            var align = Cells(lines[_i + 1]).Select(a => a.EndsWith(':') ? (a.StartsWith(':') ? " class=\"c\"" : " class=\"r\"") : string.Empty).ToArray();
            string Align(int column) => column < align.Length ? align[column] : string.Empty;
            html.Append("<table>\n<thead><tr>");
            for (int c = 0; c < header.Length; c++)
            {
                html.Append(CultureInfo.InvariantCulture, $"<th{Align(c)}>{Inline(header[c], image)}</th>");
            }

            html.Append("</tr></thead>\n<tbody>\n");
            _i += 2;
            while (_i < lines.Length && lines[_i].Trim().StartsWith('|'))
            {
                var cells = Cells(lines[_i]);
                html.Append("<tr>");
                for (int c = 0; c < cells.Length; c++)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<td{Align(c)}>{Inline(cells[c], image)}</td>");
                }

                html.Append("</tr>\n");
                _i++;
            }

            html.Append("</tbody>\n</table>\n");
        }

        private static string[] Cells(string row)
        {
            string t = row.Trim();
            if (t.StartsWith('|'))
            {
                t = t[1..];
            }

            if (t.EndsWith('|'))
            {
                t = t[..^1];
            }

            return t.Split('|').Select(c => c.Trim()).ToArray();
        }

        private void Quote()
        {
            var inner = new List<string>();
            while (_i < lines.Length && lines[_i].Trim().StartsWith('>'))
            {
                string t = lines[_i].Trim()[1..];
                inner.Add(t.StartsWith(' ') ? t[1..] : t);
                _i++;
            }

            html.Append("<blockquote>\n");
            new Block(inner.ToArray(), image, html).Run();
            html.Append("</blockquote>\n");
        }

        private void List()
        {
            bool ordered = char.IsDigit(lines[_i].TrimStart()[0]);
            html.Append(ordered ? "<ol>\n" : "<ul>\n");
            while (_i < lines.Length && ListItemPattern().IsMatch(lines[_i]))
            {
                var item = new StringBuilder(ListItemPattern().Replace(lines[_i], string.Empty, 1));
                _i++;
                // Continuation lines (indented, not a new item) belong to the item.
                while (_i < lines.Length && lines[_i].Length > 0 && char.IsWhiteSpace(lines[_i][0]) && !ListItemPattern().IsMatch(lines[_i]))
                {
                    item.Append(' ').Append(lines[_i].Trim());
                    _i++;
                }

                html.Append("<li>").Append(Inline(item.ToString(), image)).Append("</li>\n");
            }

            html.Append(ordered ? "</ol>\n" : "</ul>\n");
        }

        private void Paragraph()
        {
            var text = new List<string>();
            while (_i < lines.Length)
            {
                string t = lines[_i].Trim();
                if (t.Length == 0 || t.StartsWith('#') || t.StartsWith('>') || t.StartsWith("```", StringComparison.Ordinal) || (text.Count > 0 && ListItemPattern().IsMatch(lines[_i]))
                    || (t.StartsWith('|') && _i + 1 < lines.Length && AlignmentRowPattern().IsMatch(lines[_i + 1])))
                {
                    break;
                }

                text.Add(t);
                _i++;
            }

            html.Append("<p>").Append(string.Join('\n', text.Select(t => Inline(t, image)))).Append("</p>\n");
        }
    }
}
