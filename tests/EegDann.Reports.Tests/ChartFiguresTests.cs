namespace EegDann.Reports.Tests;

public sealed class ChartFiguresTests
{
    private static BarChart Chart(IReadOnlyList<double>? errors) => new(
        "accuracy",
        ["all targets"],
        [new BarSeries("ea_dann_x5", [0.6], errors), new BarSeries("csp_lda", [0.55], errors)],
        "accuracy",
        ReferenceLine: 0.5,
        YMin: 0.3,
        YMax: 0.9);

    [Fact]
    public void ErrorBarsAreDrawnWhenASeriesHasErrors()
    {
        byte[] plain = ChartFigures.RenderPng(Chart(null), 400, 300);
        byte[] withErrors = ChartFigures.RenderPng(Chart([0.08]), 400, 300);

        // Same axes (fixed limits), same bars: only the error bars can make the images differ.
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, withErrors[..4]);
        Assert.NotEqual(plain, withErrors);
    }

    [Fact]
    public void ASeriesWithTheWrongNumberOfValuesIsRefused()
    {
        var chart = new BarChart("t", ["a", "b"], [new BarSeries("m", [0.5])], "accuracy");

        Assert.Throws<ArgumentException>(() => ChartFigures.RenderPng(chart));
    }
}
