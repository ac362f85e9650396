using EegDann.Dsp.Features;

namespace EegDann.Dsp.Tests;

public sealed class OnlineStandardizationTests
{
    private static double[][] Rows(int count, int features, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, features).Select(f => (f * 3.0) - 2 + ((f + 1) * 0.5 * (random.NextDouble() - 0.5)) + (f == 2 ? 1e3 : 0)).ToArray())
            .ToArray();
    }

    [Fact]
    public void AtTheEndOfTheWarmUpAndAtEveryUpdateTheStatisticsAreThoseOfEveryRowSoFar()
    {
        var rows = Rows(60, 4, seed: 1);
        var estimate = new OnlineStandardization(4, warmupWindows: 10, updateEveryWindows: 7);
        for (int i = 0; i < rows.Length; i++)
        {
            estimate.Observe(rows[i]);
            int seen = i + 1;
            Assert.Equal(seen >= 10, estimate.IsWarm);
            // The statistics in use are those of the last update point: the warm-up's end, then every 7 windows.
            int lastUpdate = seen < 10 ? 0 : 10 + ((seen - 10) / 7 * 7);
            var current = estimate.Current;
            if (lastUpdate == 0)
            {
                Assert.All(current.Mean, m => Assert.Equal(0, m));
                Assert.All(current.Scale, s => Assert.Equal(1, s));
                continue;
            }

            var expected = StandardizationFit.Fit(rows.Take(lastUpdate).SelectMany(r => r).ToArray(), 4);
            for (int f = 0; f < 4; f++)
            {
                Assert.Equal(expected.Mean[f], current.Mean[f], Math.Abs(expected.Mean[f]) * 1e-12);
                Assert.Equal(expected.Scale[f], current.Scale[f], expected.Scale[f] * 1e-9);
            }
        }
    }

    [Fact]
    public void DuringTheWarmUpRowsAreLeftAsTheyAreAndThenStandardisedAsTheFitWould()
    {
        var rows = Rows(12, 3, seed: 2);
        var estimate = new OnlineStandardization(3, warmupWindows: 5, updateEveryWindows: 100);
        for (int i = 0; i < rows.Length; i++)
        {
            var row = (double[])rows[i].Clone();
            estimate.Observe(row);
            estimate.Apply(row);
            if (i < 4)
            {
                Assert.Equal(rows[i], row);
            }
            else
            {
                var expected = (double[])rows[i].Clone();
                StandardizationFit.Fit(rows.Take(5).SelectMany(r => r).ToArray(), 3).Apply(expected);
                for (int f = 0; f < 3; f++)
                {
                    Assert.Equal(expected[f], row[f], 1e-9);
                }
            }
        }
    }

    [Fact]
    public void ANonFiniteRowIsLeftOutOfTheEstimateSoTheStreamRecovers()
    {
        var rows = Rows(20, 3, seed: 3);
        var estimate = new OnlineStandardization(3, warmupWindows: 4, updateEveryWindows: 1);
        var clean = new OnlineStandardization(3, warmupWindows: 4, updateEveryWindows: 1);
        for (int i = 0; i < rows.Length; i++)
        {
            if (i is 2 or 9)
            {
                // A flat channel: the log of a zero variance.
                Assert.False(estimate.Observe([rows[i][0], double.NegativeInfinity, rows[i][2]]));
                Assert.False(estimate.Observe([double.NaN, 0, 0]));
            }

            Assert.True(estimate.Observe(rows[i]));
            clean.Observe(rows[i]);
        }

        Assert.Equal(clean.Count, estimate.Count);
        Assert.Equal(clean.Current.Mean, estimate.Current.Mean);
        Assert.Equal(clean.Current.Scale, estimate.Current.Scale);
    }

    [Fact]
    public void AConstantFeatureKeepsAScaleOfOneAndAWrongRowLengthIsRefused()
    {
        var estimate = new OnlineStandardization(2, warmupWindows: 3, updateEveryWindows: 1);
        for (int i = 0; i < 3; i++)
        {
            estimate.Observe([5.0, i]);
        }

        Assert.Equal(1, estimate.Current.Scale[0]);
        Assert.Equal(5, estimate.Current.Mean[0]);
        Assert.Throws<ArgumentException>(() => estimate.Observe([1.0, 2, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnlineStandardization(2, 0, 1));
    }
}
