namespace EegDann.Reports.Tests;

public sealed class ScatterFiguresTests
{
    private static ScatterPanel Panel(string title, bool surface)
    {
        var points = new[]
        {
            new PointGroup("source class 0", [-1.0, -1.2, -0.8], [0.0, 0.1, -0.1], 0, PointStyle.Filled),
            new PointGroup("target class 1", [2.5, 2.4], [1.5, 1.4], 1, PointStyle.Open),
        };
        DecisionSurface? s = null;
        if (surface)
        {
            var p = new double[20, 30];
            for (int r = 0; r < 20; r++)
            {
                for (int c = 0; c < 30; c++)
                {
                    p[r, c] = c < 15 ? 0.1 : 0.9;
                }
            }

            s = new DecisionSurface(-2, 3, -1, 2, p);
        }

        return new ScatterPanel(title, points, s);
    }

    private static (int Width, int Height) PngSize(byte[] png)
    {
        int Read(int offset) => (png[offset] << 24) | (png[offset + 1] << 16) | (png[offset + 2] << 8) | png[offset + 3];
        return (Read(16), Read(20));
    }

    [Fact]
    public void PanelsAreRenderedSideBySideIntoOnePng()
    {
        byte[] png = ScatterFigures.RenderPng([Panel("source only", true), Panel("DANN", true)], panelWidth: 400, height: 300);

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal((800, 300), PngSize(png));
        Assert.True(png.Length > 5000, "a figure with text, points and shading is not a blank image");
    }

    [Fact]
    public void APanelWithoutADecisionSurfaceIsAPlainScatter()
    {
        byte[] png = ScatterFigures.RenderPng([Panel("features (PCA)", false)], panelWidth: 300, height: 300);

        Assert.Equal((300, 300), PngSize(png));
    }

    [Fact]
    public void NoPanelsOrATinyFigureAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ScatterFigures.RenderPng([]));
        Assert.Throws<ArgumentException>(() => ScatterFigures.RenderPng([Panel("x", false)], panelWidth: 50));
    }
}
