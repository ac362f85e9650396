using System.Text.Json;
using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>Each step's fitted state writes and reads its own JSON, and a model file's fitted pipeline is written back byte for byte.</summary>
public sealed class FittedStateJsonTests
{
    private static readonly JsonSerializerOptions Options = FittedPipeline.JsonOptions;

    private static T RoundTrip<T>(T state, string expectedStart)
    {
        string json = JsonSerializer.Serialize(state, Options);
        Assert.StartsWith(expectedStart, json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<T>(json, Options);
        Assert.Equal(json, JsonSerializer.Serialize(back, Options));
        return back!;
    }

    [Fact]
    public void EachFittedSignalStepWritesItsOwnJsonAndReadsBackEqual()
    {
        var bandPass = new BandPassSpec(8, 30, 4).Fit(160);
        var filter = Assert.IsType<FittedFilter>(bandPass);
        Assert.Equal(filter, RoundTrip(filter, "{\"description\":"));
        Assert.Equal(JsonSerializer.Serialize(filter.Design, Options), JsonSerializer.Serialize(filter, Options));

        var none = new CommonAverageReferenceSpec().Fit(160);
        Assert.Equal("null", JsonSerializer.Serialize((FittedFilter)none, Options));
        Assert.Equal(none, RoundTrip((FittedFilter)none, "null"));

        var bank = Assert.IsType<FittedFilterBank>(new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12, 30)], 4).Fit(160));
        Assert.Equal(bank, RoundTrip(bank, "[{\"description\":"));
        Assert.Null(JsonSerializer.Deserialize<FittedFilterBank>("null", Options));
        Assert.ThrowsAny<ArgumentException>(() => JsonSerializer.Deserialize<FittedFilter>("{\"sample_rate_hz\":160}", Options));
    }

    [Fact]
    public void TheShippedModelFilesFittedPipelineIsWrittenBackByteForByte()
    {
        using var stream = File.OpenRead(TestData.TestDataFile("replay", "s002.eegdann"));
        using var package = ModelFile.Read(stream);
        var stage = Assert.Single(package.Context.FittedStages, s => s.Name == PipelineModelContext.FittedStageName);
        string stored = JsonSerializer.Serialize(stage.State, Options);

        var fitted = FittedPipeline.FromJson(stage.State.GetRawText(), "s002.eegdann");
        Assert.Equal(stored, fitted.ToJson());
    }
}
