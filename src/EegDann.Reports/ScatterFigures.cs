using ScottPlot;

namespace EegDann.Reports;

/// <summary>How a group of points is drawn.</summary>
public enum PointStyle
{
    /// <summary>Filled circles (e.g. the labeled source).</summary>
    Filled,

    /// <summary>Open circles (e.g. the target).</summary>
    Open,
}

/// <summary>A labeled group of 2-D points drawn in one colour and style.</summary>
/// <param name="Label">Legend text, e.g. <c>source class 0</c>.</param>
/// <param name="X">Horizontal coordinates.</param>
/// <param name="Y">Vertical coordinates (same length).</param>
/// <param name="ColorIndex">Index into the report palette (the same index, the same colour in every figure).</param>
/// <param name="Style">Filled or open markers.</param>
public sealed record PointGroup(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, int ColorIndex, PointStyle Style);

/// <summary>
/// A two-class decision surface sampled on a regular grid: the probability of the second class at
/// every grid node. Drawn as lightly shaded decision regions with the boundary (p = 0.5) as a line.
/// </summary>
/// <param name="XMin">Left edge of the grid.</param>
/// <param name="XMax">Right edge.</param>
/// <param name="YMin">Bottom edge.</param>
/// <param name="YMax">Top edge.</param>
/// <param name="Probability"><c>[row, column]</c> = p(class 1) at (XMin + column·dx, YMin + row·dy); at least 2 × 2.</param>
public sealed record DecisionSurface(double XMin, double XMax, double YMin, double YMax, double[,] Probability);

/// <summary>One panel: points, optionally over a decision surface.</summary>
/// <param name="Title">Panel title, e.g. <c>DANN — target accuracy 0.95</c>.</param>
/// <param name="Points">Point groups, drawn in order.</param>
/// <param name="Surface">A decision surface to draw underneath, or null.</param>
/// <param name="XLabel">Horizontal axis label.</param>
/// <param name="YLabel">Vertical axis label.</param>
public sealed record ScatterPanel(string Title, IReadOnlyList<PointGroup> Points, DecisionSurface? Surface = null, string XLabel = "x", string YLabel = "y");

/// <summary>
/// Scatter figures rendered to PNG bytes (ScottPlot 5 on SkiaSharp): panels side by side with
/// shared axis limits, in the spirit of the DANN article's figures. No files are touched; the
/// caller writes the bytes (atomically).
/// </summary>
public static class ScatterFigures
{
    private static Color[] Palette => ReportPalette.Colors;

    /// <summary>Renders <paramref name="panels"/> side by side as one PNG.</summary>
    /// <param name="panels">One or more panels.</param>
    /// <param name="panelWidth">Width of each panel in pixels (≥ 200).</param>
    /// <param name="height">Height in pixels (≥ 200).</param>
    /// <exception cref="ArgumentException">When there are no panels or a size is too small.</exception>
    public static byte[] RenderPng(IReadOnlyList<ScatterPanel> panels, int panelWidth = 640, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0)
        {
            throw new ArgumentException("There are no panels to draw.", nameof(panels));
        }

        if (panelWidth < 200 || height < 200)
        {
            throw new ArgumentException($"A figure needs at least 200 × 200 pixels per panel, got {panelWidth} × {height}.");
        }

        var limits = SharedLimits(panels);
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        for (int i = 0; i < panels.Count; i++)
        {
            Draw(multiplot.GetPlot(i), panels[i], limits);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return multiplot.Render(panelWidth * panels.Count, height).GetImageBytes(ImageFormat.Png);
    }

    private static void Draw(Plot plot, ScatterPanel panel, AxisLimits limits)
    {
        if (panel.Surface is { } surface)
        {
            DrawSurface(plot, surface);
        }

        foreach (var group in panel.Points)
        {
            var color = ReportPalette.At(group.ColorIndex);
            var markers = plot.Add.Markers(group.X.ToArray(), group.Y.ToArray(), group.Style == PointStyle.Filled ? MarkerShape.FilledCircle : MarkerShape.OpenCircle, 5, color);
            markers.LegendText = group.Label;
        }

        plot.Title(panel.Title);
        plot.XLabel(panel.XLabel);
        plot.YLabel(panel.YLabel);
        plot.Axes.SetLimits(limits);
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static void DrawSurface(Plot plot, DecisionSurface surface)
    {
        int rows = surface.Probability.GetLength(0), columns = surface.Probability.GetLength(1);
        if (rows < 2 || columns < 2)
        {
            throw new ArgumentException($"A decision surface needs a grid of at least 2 × 2, got {rows} × {columns}.");
        }

        double dx = (surface.XMax - surface.XMin) / (columns - 1), dy = (surface.YMax - surface.YMin) / (rows - 1);
        // Decision regions: shade each grid cell by the predicted class (heatmap rows run top to bottom).
        var shade = new double[rows, columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                shade[rows - 1 - r, c] = surface.Probability[r, c];
            }
        }

        var heatmap = plot.Add.Heatmap(shade);
        heatmap.Colormap = new ScottPlot.Colormaps.Custom([Palette[0].WithAlpha(0.18), Palette[1].WithAlpha(0.18)]);
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.Extent = new CoordinateRect(surface.XMin - dx / 2, surface.XMax + dx / 2, surface.YMin - dy / 2, surface.YMax + dy / 2);

        var points = new Coordinates3d[columns, rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                points[c, r] = new Coordinates3d(surface.XMin + c * dx, surface.YMin + r * dy, surface.Probability[r, c]);
            }
        }

        var boundary = plot.Add.ContourLines(points);
        boundary.ContourLineLevels = [0.5];
        boundary.Update(points);
        boundary.LineColor = Colors.Black;
        boundary.LineWidth = 2;
        boundary.LabelStyle.IsVisible = false;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "decision boundary (p = 0.5)", LineColor = Colors.Black, LineWidth = 2 });
    }

    private static AxisLimits SharedLimits(IReadOnlyList<ScatterPanel> panels)
    {
        double left = double.PositiveInfinity, right = double.NegativeInfinity, bottom = double.PositiveInfinity, top = double.NegativeInfinity;
        foreach (var panel in panels)
        {
            foreach (var g in panel.Points)
            {
                foreach (double x in g.X)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                }

                foreach (double y in g.Y)
                {
                    bottom = Math.Min(bottom, y);
                    top = Math.Max(top, y);
                }
            }

            if (panel.Surface is { } s)
            {
                left = Math.Min(left, s.XMin);
                right = Math.Max(right, s.XMax);
                bottom = Math.Min(bottom, s.YMin);
                top = Math.Max(top, s.YMax);
            }
        }

        if (!double.IsFinite(left))
        {
            return new AxisLimits(-1, 1, -1, 1);
        }

        double padX = Math.Max(1e-9, (right - left) * 0.02), padY = Math.Max(1e-9, (top - bottom) * 0.02);
        return new AxisLimits(left - padX, right + padX, bottom - padY, top + padY);
    }
}
