using ScottPlot;

namespace EegDann.Reports;

/// <summary>One confusion matrix to draw: counts with rows the true class and columns the predicted class.</summary>
/// <param name="Title">Panel title (e.g. the method).</param>
/// <param name="Classes">Class names, the order of rows and columns.</param>
/// <param name="Counts"><c>[true][predicted]</c> counts, N × N.</param>
public sealed record ConfusionPanel(string Title, IReadOnlyList<string> Classes, IReadOnlyList<IReadOnlyList<int>> Counts);

/// <summary>
/// Confusion matrices rendered to PNG bytes (ScottPlot 5), side by side (at most three per row):
/// each cell shaded by its share of the true class's row (white 0 → dark 1), with the count and
/// that share written in it; rows true class (top to bottom), columns predicted class.
/// </summary>
public static class ConfusionFigures
{
    /// <summary>Renders the panels.</summary>
    /// <exception cref="ArgumentException">When there are no panels or a matrix is not N × N for its N class names.</exception>
    public static byte[] RenderPng(IReadOnlyList<ConfusionPanel> panels, int panelSize = 420)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0)
        {
            throw new ArgumentException("There are no confusion matrices to draw.", nameof(panels));
        }

        if (panels.Any(p => p.Classes.Count < 2 || p.Counts.Count != p.Classes.Count || p.Counts.Any(r => r.Count != p.Classes.Count)))
        {
            throw new ArgumentException("Every confusion matrix must be N × N for its N ≥ 2 class names.", nameof(panels));
        }

        int columns = Math.Min(3, panels.Count), rows = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        for (int i = 0; i < panels.Count; i++)
        {
            Draw(multiplot.GetPlot(i), panels[i]);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        return multiplot.Render(panelSize * columns, panelSize * rows).GetImageBytes(ImageFormat.Png);
    }

    private static void Draw(Plot plot, ConfusionPanel panel)
    {
        int n = panel.Classes.Count;
        var baseColor = ReportPalette.At(0);
        for (int t = 0; t < n; t++)
        {
            int total = panel.Counts[t].Sum();
            for (int p = 0; p < n; p++)
            {
                int count = panel.Counts[t][p];
                double share = total == 0 ? 0 : count / (double)total;
                double y = n - 1 - t;
                var cell = plot.Add.Rectangle(p - 0.5, p + 0.5, y - 0.5, y + 0.5);
                cell.FillStyle.Color = baseColor.WithAlpha(share);
                cell.LineStyle.Color = Colors.Gray;
                var text = plot.Add.Text($"{count}\n{share:P0}", p, y);
                text.LabelFontSize = 14;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = share > 0.55 ? Colors.White : Colors.Black;
            }
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), panel.Classes.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), panel.Classes.ToArray());
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Title(panel.Title);
        plot.XLabel("predicted");
        plot.YLabel("true");
    }
}
