using System.Text.Json;
using EegDann.Pipelines.Calibration;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

public sealed class StatisticsTests
{
    private static JsonElement Golden(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "stats_golden.json")));
        return document.RootElement.GetProperty(name).Clone();
    }

    [Fact]
    public void WilsonIntervalsMatchTheFormulaEvaluatedBySciPy()
    {
        foreach (var c in Golden("wilson").EnumerateArray())
        {
            var interval = Statistics.Wilson(c.GetProperty("p").GetDouble(), c.GetProperty("n").GetInt32());
            var expected = c.GetProperty("interval").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expected[0], interval.Low, 12);
            Assert.Equal(expected[1], interval.High, 12);
        }

        // 45 trials at 0.6: about ±0.14, as the reports say.
        var i45 = Statistics.Wilson(0.6, 45);
        Assert.InRange(i45.High - i45.Low, 0.26, 0.29);
    }

    [Fact]
    public void StudentTQuantilesMatchSciPy()
    {
        foreach (var c in Golden("t975").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("q").GetDouble(), Statistics.StudentT975(c.GetProperty("df").GetInt32()), 7);
        }
    }

    [Fact]
    public void TheSignTestMatchesSciPysExactBinomialTest()
    {
        foreach (var c in Golden("sign").EnumerateArray())
        {
            Assert.Equal(c.GetProperty("p").GetDouble(), Statistics.SignTest(c.GetProperty("wins").GetInt32(), c.GetProperty("n").GetInt32()), 12);
        }
    }

    [Fact]
    public void TheWilcoxonSignedRankTestMatchesSciPysExactTest()
    {
        foreach (var c in Golden("wilcoxon").EnumerateArray())
        {
            var d = c.GetProperty("d").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var (statistic, p, exact) = Statistics.Wilcoxon(d);
            Assert.True(exact);
            Assert.Equal(c.GetProperty("statistic").GetDouble(), statistic, 12);
            Assert.Equal(c.GetProperty("p").GetDouble(), p, 12);
        }
    }

    [Fact]
    public void APairedComparisonCountsWinsDropsTiesAndGivesTheMeanDifferenceWithItsInterval()
    {
        var comparison = Statistics.Compare("a", "b", ["S1", "S2", "S3", "S4"], [0.6, 0.7, 0.5, 0.8], [0.5, 0.6, 0.5, 0.6]);
        Assert.Equal(3, comparison.Wins);
        Assert.Equal(0, comparison.Losses);
        Assert.Equal(0.1, comparison.MeanDifference, 12);
        Assert.Equal(0.25, comparison.SignTestP, 12);     // 3 of 3 non-tied: 2·(1/8)
        Assert.Equal(0.25, comparison.WilcoxonP, 12);     // ranks 1.5, 1.5, 3 all positive: 2·(1/8)
        Assert.True(comparison.DifferenceInterval.Contains(0.1));
    }
}
