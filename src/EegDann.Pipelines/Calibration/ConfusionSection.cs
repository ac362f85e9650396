using System.Globalization;
using System.Text;
using EegDann.Reports;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The N × N confusion matrices of a report with more than two classes: one Markdown table per
/// method (rows true class, columns predicted, each row's recall) and one PNG with a panel per
/// method. Two-class reports carry their 2 × 2 counts inline as before and get neither.
/// </summary>
internal static class ConfusionSection
{
    /// <summary>Whether a report over <paramref name="classes"/> gets the section.</summary>
    public static bool Applies(IReadOnlyList<string> classes) => classes.Count > 2;

    /// <summary>The Markdown: <paramref name="intro"/>, a table per matrix, then the figure linked as <paramref name="figure"/>.</summary>
    public static string Markdown(IReadOnlyList<string> classes, IReadOnlyList<(string Title, IReadOnlyList<IReadOnlyList<int>> Matrix)> items, string intro, string figure)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(intro);
        md.AppendLine();
        foreach (var (title, matrix) in items)
        {
            md.AppendLine(inv, $"**{title}**");
            md.AppendLine();
            md.AppendLine("| true \\ predicted | " + string.Join(" | ", classes) + " | recall |");
            md.AppendLine("|---|" + string.Concat(classes.Select(_ => "---:|")) + "---:|");
            for (int t = 0; t < matrix.Count; t++)
            {
                int total = matrix[t].Sum();
                md.AppendLine(inv, $"| {classes[t]} | {string.Join(" | ", matrix[t])} | {(total == 0 ? "–" : EvaluationReport.Format(matrix[t][t] / (double)total))} |");
            }

            md.AppendLine();
        }

        md.AppendLine(inv, $"![confusion matrices]({figure})");
        md.AppendLine();
        return md.ToString();
    }

    /// <summary>The PNG, null when there is no matrix.</summary>
    public static byte[]? Figure(IReadOnlyList<string> classes, IReadOnlyList<(string Title, IReadOnlyList<IReadOnlyList<int>> Matrix)> items) =>
        items.Count == 0 ? null : ConfusionFigures.RenderPng(items.Select(i => new ConfusionPanel(i.Title, classes, i.Matrix)).ToArray());
}
