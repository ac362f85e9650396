using ScottPlot;

namespace EegDann.Reports;

/// <summary>The colours of every report figure: the same index, the same colour (matplotlib's tab10 order).</summary>
internal static class ReportPalette
{
    public static Color[] Colors { get; } =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#ff7f0e"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
        Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    ];

    public static Color At(int index) => Colors[((index % Colors.Length) + Colors.Length) % Colors.Length];
}
