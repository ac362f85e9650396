using ScottPlot;

namespace EegDann.Reports;

/// <summary>One series of a grouped bar chart: a value (and optional error bar) per category.</summary>
/// <param name="Name">Legend text, e.g. a method's name.</param>
/// <param name="Values">One value per category (NaN: no bar).</param>
/// <param name="Errors">Optional half-height of an error bar per category (e.g. a standard deviation).</param>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>A grouped bar chart: categories along the horizontal axis, one bar per series in each.</summary>
/// <param name="Title">Title.</param>
/// <param name="Categories">Category labels (e.g. subjects, or one label for a single group).</param>
/// <param name="Series">Series, drawn side by side within each category.</param>
/// <param name="YLabel">Vertical axis label.</param>
/// <param name="ReferenceLine">A dashed horizontal line (e.g. chance level), or null.</param>
/// <param name="YMin">Lower end of the vertical axis, or null to fit the data.</param>
/// <param name="YMax">Upper end of the vertical axis, or null to fit the data.</param>
public sealed record BarChart(string Title, IReadOnlyList<string> Categories, IReadOnlyList<BarSeries> Series, string YLabel, double? ReferenceLine = null, double? YMin = null, double? YMax = null);

/// <summary>A line of a line panel.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">Horizontal coordinates.</param>
/// <param name="Y">Vertical coordinates (same length; NaN breaks nothing, the point is skipped).</param>
/// <param name="ColorIndex">Index into the report palette.</param>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, int ColorIndex);

/// <summary>One panel of lines.</summary>
/// <param name="Title">Title.</param>
/// <param name="XLabel">Horizontal axis label.</param>
/// <param name="YLabel">Vertical axis label.</param>
/// <param name="Lines">Lines, drawn in order.</param>
/// <param name="ReferenceLine">A dashed horizontal line (e.g. chance), or null.</param>
public sealed record LinePanel(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Lines, double? ReferenceLine = null);

/// <summary>
/// Bar charts and line panels rendered to PNG bytes (ScottPlot 5): per-method accuracy bars,
/// per-subject tables as grouped bars, training curves. No files are touched; the caller writes
/// the bytes (atomically).
/// </summary>
public static class ChartFigures
{
    /// <summary>Renders a grouped bar chart.</summary>
    /// <exception cref="ArgumentException">When there are no categories or series, or a series' length differs from the categories'.</exception>
    public static byte[] RenderPng(BarChart chart, int width = 1000, int height = 520)
    {
        ArgumentNullException.ThrowIfNull(chart);
        if (chart.Categories.Count == 0 || chart.Series.Count == 0)
        {
            throw new ArgumentException("A bar chart needs at least one category and one series.", nameof(chart));
        }

        if (chart.Series.Any(s => s.Values.Count != chart.Categories.Count || (s.Errors != null && s.Errors.Count != chart.Categories.Count)))
        {
            throw new ArgumentException("Every series needs one value (and error) per category.", nameof(chart));
        }

        var plot = new Plot();
        int series = chart.Series.Count;
        double groupWidth = 0.8, barWidth = groupWidth / series;
        for (int s = 0; s < series; s++)
        {
            var color = ReportPalette.At(s);
            var bars = new List<Bar>();
            for (int c = 0; c < chart.Categories.Count; c++)
            {
                double value = chart.Series[s].Values[c];
                if (!double.IsFinite(value))
                {
                    continue;
                }

                double error = chart.Series[s].Errors?[c] is { } e && double.IsFinite(e) ? e : 0;
                // ScottPlot draws the error bar with the bar's outline pen: a bar with an error gets a thin dark outline so its whiskers show.
                bars.Add(new Bar
                {
                    Position = c - (groupWidth / 2) + (barWidth * (s + 0.5)),
                    Value = value,
                    Error = error,
                    ErrorSize = barWidth * 0.5,
                    Size = barWidth * 0.92,
                    FillColor = color,
                    LineColor = Colors.Black.WithAlpha(0.8),
                    LineWidth = error > 0 ? 1.5f : 0,
                });
            }

            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = chart.Series[s].Name;
        }

        if (chart.ReferenceLine is { } reference)
        {
            var line = plot.Add.HorizontalLine(reference);
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dashed;
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, chart.Categories.Count).Select(i => (double)i).ToArray(), chart.Categories.ToArray());
        plot.Title(chart.Title);
        plot.YLabel(chart.YLabel);
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsY(chart.YMin ?? limits.Bottom, chart.YMax ?? limits.Top);
        plot.Axes.SetLimitsX(-0.6, chart.Categories.Count - 0.4);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders line panels side by side (at most three per row).</summary>
    /// <exception cref="ArgumentException">When there are no panels.</exception>
    public static byte[] RenderPng(IReadOnlyList<LinePanel> panels, int panelWidth = 520, int panelHeight = 400)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0)
        {
            throw new ArgumentException("There are no panels to draw.", nameof(panels));
        }

        int columns = Math.Min(3, panels.Count), rows = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        for (int i = 0; i < panels.Count; i++)
        {
            var plot = multiplot.GetPlot(i);
            var panel = panels[i];
            foreach (var line in panel.Lines)
            {
                var xs = new List<double>();
                var ys = new List<double>();
                for (int k = 0; k < Math.Min(line.X.Count, line.Y.Count); k++)
                {
                    if (double.IsFinite(line.X[k]) && double.IsFinite(line.Y[k]))
                    {
                        xs.Add(line.X[k]);
                        ys.Add(line.Y[k]);
                    }
                }

                if (xs.Count == 0)
                {
                    continue;
                }

                var scatter = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), ReportPalette.At(line.ColorIndex));
                scatter.LegendText = line.Name;
                scatter.LineWidth = 2;
            }

            if (panel.ReferenceLine is { } reference)
            {
                var h = plot.Add.HorizontalLine(reference);
                h.LineColor = Colors.Gray;
                h.LinePattern = LinePattern.Dashed;
            }

            plot.Title(panel.Title);
            plot.XLabel(panel.XLabel);
            plot.YLabel(panel.YLabel);
            plot.ShowLegend(Alignment.UpperRight);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        return multiplot.Render(panelWidth * columns, panelHeight * rows).GetImageBytes(ImageFormat.Png);
    }
}
