using System.Text.Json.Nodes;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>
/// A definition asks its steps what they can answer themselves (the bands they split into, whether
/// they align), so a step type the definition has never heard of is taken into account.
/// </summary>
public sealed class NewStepTypeTests
{
    [Fact]
    public void ANewBandSplittingStepTypeGivesThePipelineItsBandsAndIsReplacedByTheOneBandVariant()
    {
        var definition = RealRecordings.MiLogVar with { Steps = [new NotchSpec(60, 4, 2), new ThreeBandSplit(), new LogVarianceSpec()] };

        Assert.Null(definition.FilterBank);
        Assert.Equal(3, definition.BandCount);
        Assert.Equal(["8_13", "13_20", "20_30"], definition.BandTags);
        Assert.Equal("band 13-20 Hz", definition.DescribeBand(1));
        Assert.False(definition.IsOneBand);

        // The signal path runs it and windows carry its bands under its tags.
        var signal = SignalPipeline.Create(definition);
        Assert.Equal(3, signal.BandCount);
        Assert.StartsWith("fb8_13_", signal.WindowInfo.Channels[0], StringComparison.Ordinal);

        var oneBand = definition.WithOneBand();
        Assert.Equal(["notch", "bandpass", "log_variance"], oneBand.Steps.Select(s => s.Type));
        Assert.Equal((1, null), (oneBand.BandCount, oneBand.BandTags));
        Assert.True(oneBand.IsOneBand);
    }

    [Fact]
    public void ANewAlignmentStepTypeMakesThePipelineAlignAndIsRemovedByTheUnalignedVariant()
    {
        var plain = RealRecordings.MiLogVar;
        var json = JsonNode.Parse(plain.Json)!.AsObject();
        json["steps"]!.AsArray().Insert(1, new OtherAlignment().ToJson());
        var definition = plain with { Steps = [plain.Steps[0], new OtherAlignment(), .. plain.Steps.Skip(1)], Json = json.ToJsonString() };

        Assert.False(plain.Aligns);
        Assert.True(definition.Aligns);
        Assert.Null(definition.Alignment);
        Assert.StartsWith("ea_", CalibrationMethod.Of(definition).Name, StringComparison.Ordinal);
        Assert.DoesNotContain("ea_", CalibrationMethod.Of(plain).Name, StringComparison.Ordinal);
        Assert.Same(definition, definition.WithAlignment(CalibrationData.DefaultAlignment));

        var unaligned = definition.WithoutAlignment();
        Assert.False(unaligned.Aligns);
        Assert.Equal(plain.Steps, unaligned.Steps);
        Assert.DoesNotContain(OtherAlignment.TypeName, unaligned.Json, StringComparison.Ordinal);
    }

    /// <summary>A band-splitting step type the definition does not know: three band-passes side by side (run as a filter bank would run them).</summary>
    private sealed record ThreeBandSplit() : StepSpec("three_band_split"), ISignalStep
    {
        private static readonly FilterBankSpec Bank = new([new FrequencyBand(8, 13), new FrequencyBand(13, 20), new FrequencyBand(20, 30)], 4);

        public override StepKind Kind => StepKind.FilterBank;

        public IReadOnlyList<FrequencyBand> SplitBands => Bank.Bands;

        public override JsonObject ParametersToJson() => [];

        public FittedSignalStep Fit(double sampleRateHz) => Bank.Fit(sampleRateHz);

        public IReadOnlyList<StepProblem> Check(FittedSignalStep fitted, double sampleRateHz) => Bank.Check(fitted, sampleRateHz);

        public void AddTo(SignalPathBuilder path, FittedSignalStep fitted) => Bank.AddTo(path, fitted);
    }

    /// <summary>An alignment step type the definition does not know.</summary>
    private sealed record OtherAlignment() : StepSpec(TypeName)
    {
        public const string TypeName = "other_alignment";

        public override StepKind Kind => StepKind.Alignment;

        public override JsonObject ParametersToJson() => [];
    }
}
