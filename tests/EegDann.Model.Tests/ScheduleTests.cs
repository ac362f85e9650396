namespace EegDann.Model.Tests;

public sealed class ScheduleTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void LambdaFollowsTwoOverOnePlusExpMinusTenPMinusOne(double p)
    {
        double expected = 2.0 / (1.0 + Math.Exp(-10.0 * p)) - 1.0;

        Assert.Equal(expected, LambdaSchedule.Paper.At(p), 12);
        Assert.Equal(0.5 * expected, new LambdaSchedule(Scale: 0.5).At(p), 12);
    }

    [Fact]
    public void LambdaStartsAtZeroRisesMonotonicallyAndEndsNearOne()
    {
        var values = Enumerable.Range(0, 101).Select(i => LambdaSchedule.Paper.At(i / 100.0)).ToArray();

        Assert.Equal(0.0, values[0]);
        Assert.True(values.Zip(values.Skip(1)).All(v => v.Second > v.First));
        Assert.InRange(values[^1], 0.9999, 1.0);
        Assert.Equal(values[^1], LambdaSchedule.Paper.At(7.0)); // progress is clamped to [0, 1]
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void LearningRateFollowsMuZeroOverOnePlusTenPToTheThreeQuarters(double p)
    {
        var schedule = new LearningRateSchedule(0.01);

        Assert.Equal(0.01 / Math.Pow(1 + 10 * p, 0.75), schedule.At(p), 15);
    }

    [Fact]
    public void LearningRateFallsFromMuZeroToMuZeroOverElevenToTheThreeQuarters()
    {
        var schedule = new LearningRateSchedule(0.01);

        Assert.Equal(0.01, schedule.At(0));
        Assert.Equal(0.01 / Math.Pow(11, 0.75), schedule.At(1), 15);
        Assert.True(schedule.At(0.3) < schedule.At(0.2));
    }
}
