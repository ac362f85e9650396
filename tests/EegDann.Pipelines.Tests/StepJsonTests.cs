using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>Every step writes its own <c>{type, parameters}</c>, which the registry reads back as an equal step.</summary>
public sealed class StepJsonTests
{
    public static TheoryData<string> Steps() =>
    [
        .. new StepSpec[]
        {
            new BandPassSpec(8, 30, 4),
            new HighPassSpec(0.5, 2),
            new LowPassSpec(40, 6),
            new NotchSpec(50, 3.5, 2),
            new CommonAverageReferenceSpec(),
            new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12.5, 30)], 3),
            new EuclideanAlignmentSpec(new EuclideanAlignmentOptions { Shrinkage = 0.05, WarmupWindows = 8, UpdateEveryWindows = 4 }, AlignmentReference.Windows),
            new LogVarianceSpec(),
            new CovarianceSpec(),
            new BandPowerSpec([new FrequencyBand(8, 13), new FrequencyBand(13, 30)], false),
            new CspSpec(4, 0.1),
            new TangentSpaceSpec(TangentSpaceMetric.LogEuclid, 0.01),
            new StandardizeSpec(StandardizationScope.Subject, 8, 4, AlignmentReference.Windows),
        }.Select(s => s.ToJson().ToJsonString()),
    ];

    [Theory]
    [MemberData(nameof(Steps))]
    public void AStepsOwnJsonReadsBackAsAnEqualStep(string json)
    {
        var step = ReadBack(json);
        Assert.Equal(json, step.ToJson().ToJsonString());
    }

    [Fact]
    public void EveryStepTypeWritesItsJsonAndEveryParameterKeyItReads()
    {
        var written = ((IEnumerable<object[]>)Steps()).Select(row => (string)row[0]).Select(j => JsonNode.Parse(j)!.AsObject()).ToArray();
        Assert.Equal(StageRegistry.Types, written.Select(j => j["type"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var json in written)
        {
            string type = json["type"]!.GetValue<string>();
            Assert.StartsWith($"{type}({string.Join(", ", json["parameters"]!.AsObject().Select(p => p.Key))}): ", StageRegistry.Describe(type), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryStepOfTheShippedPipelinesIsWrittenAsItsFileReadsBack()
    {
        foreach (var file in Directory.GetFiles(TestData.PipelinesDirectory, "*.json"))
        {
            var definition = PipelineDefinitionLoader.Load(file);
            var again = definition.Steps.Select(s => ReadBack(s.ToJson().ToJsonString())).ToArray();
            Assert.Equal(definition.Steps, again);
        }
    }

    [Fact]
    public void TheEditedVariantsInsertTheStepsOwnJsonInTheLayoutModelFilesCarry()
    {
        var aligned = RealRecordings.MiLogVar.WithAlignment(new EuclideanAlignmentSpec(new EuclideanAlignmentOptions(), AlignmentReference.Epochs));
        Assert.Equal(
            """{"type":"euclidean_alignment","parameters":{"shrinkage":0,"warmup_windows":32,"update_every_windows":16,"reference":"epochs"}}""",
            JsonNode.Parse(aligned.Json)!["steps"]![1]!.ToJsonString());

        var oneBand = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")).WithOneBand();
        Assert.Equal("""{"type":"bandpass","parameters":{"low_hz":8,"high_hz":30,"order":4}}""", JsonNode.Parse(oneBand.Json)!["steps"]![0]!.ToJsonString());
        Assert.Equal(oneBand.Steps.Select(s => s.Type), PipelineDefinitionLoader.Parse(oneBand.Json, "one band").Steps.Select(s => s.Type));
    }

    private static StepSpec ReadBack(string json)
    {
        using var document = JsonDocument.Parse(json);
        var problems = new List<string>();
        string type = document.RootElement.GetProperty("type").GetString()!;
        var step = StageRegistry.Parse(type, new JsonSection(document.RootElement.GetProperty("parameters"), $"step 1 '{type}'", problems));
        Assert.Empty(problems);
        return Assert.IsAssignableFrom<StepSpec>(step);
    }
}
