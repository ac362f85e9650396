using EegDann.Dsp.Features;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Tests;

/// <summary>The signal steps check their own parameters and say which band they pass.</summary>
public sealed class SignalStepTests
{
    private static readonly FeatureShape Shape = new(["C3", "Cz", "C4"], 320, 160);

    [Fact]
    public void AFilterThatCannotBeDesignedAtThePipelinesRateIsItsOwnProblem()
    {
        Assert.Empty(new BandPassSpec(8, 30, 4).Validate(Shape));
        var problem = Assert.Single(new BandPassSpec(8, 90, 4).Validate(Shape));
        Assert.Null(problem.Key);
        Assert.StartsWith("step 1 'bandpass': ", problem.Format("step 1 'bandpass'"), StringComparison.Ordinal);
        Assert.Single(new LowPassSpec(85, 4).Validate(Shape));
        Assert.Single(new NotchSpec(60, 4, 2).Validate(Shape with { SampleRateHz = 100 }));
    }

    [Fact]
    public void ACommonAverageReferenceNeedsTwoChannels()
    {
        Assert.Empty(new CommonAverageReferenceSpec().Validate(Shape));
        Assert.Equal("step 1 'common_average_reference': needs at least 2 channels", Assert.Single(new CommonAverageReferenceSpec().Validate(Shape with { Channels = ["Cz"] })).Format("step 1 'common_average_reference'"));
    }

    [Fact]
    public void AFilterBankListsEveryProblemOfItsBands()
    {
        Assert.Empty(new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12, 30)], 4).Validate(Shape));
        Assert.Equal(["needs at least two bands (use bandpass for one)"], new FilterBankSpec([new FrequencyBand(8, 12)], 4).Validate(Shape).Select(p => p.Message));
        Assert.Equal(
            ["band [12, 8] Hz is empty", "band 8-12 Hz appears more than once"],
            new FilterBankSpec([new FrequencyBand(12, 8), new FrequencyBand(8, 12), new FrequencyBand(8, 12)], 4).Validate(Shape).Select(p => p.Message));
    }

    [Fact]
    public void TheHighestPassbandEdgeComesFromTheStepsThatPassABand()
    {
        Assert.Equal([(30.0, "upper edge of the 8-30 Hz band-pass")], new BandPassSpec(8, 30, 4).PassbandEdges);
        Assert.Empty(new NotchSpec(60, 4, 2).PassbandEdges);
        var definition = RealRecordings.MiLogVar with
        {
            Steps = [new HighPassSpec(1, 4), new NotchSpec(60, 4, 2), new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12, 36)], 4), new LogVarianceSpec()],
        };
        Assert.Equal(36, SignalPipeline.Create(definition).HighestBandEdgeHz);
        Assert.Equal(30, SignalPipeline.Create(RealRecordings.MiLogVar).HighestBandEdgeHz);
    }
}
