using System.Text.Json;
using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>Each step's fitted state writes and reads its own JSON, and a model file's fitted pipeline is written back byte for byte.</summary>
public sealed class FittedStateJsonTests
{
    private static readonly JsonSerializerOptions Options = FittedPipelineFormat1.JsonOptions;

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
    public void EachFittedFeatureStepWritesItsTypeThenItsOwnPropertiesAndReadsBackEqual()
    {
        var csp = new CspStepFit(new CspFit(2, ["left", "right"], [1.5, -0.25, 0.125, 2], [0.9, 0.1]));
        string cspJson = JsonSerializer.Serialize<FeatureStepFit>(csp, Options);
        Assert.Equal("{\"type\":\"csp\",\"csp\":" + JsonSerializer.Serialize(csp.Csp, Options) + "}", cspJson);
        var cspBack = Assert.IsType<CspStepFit>(JsonSerializer.Deserialize<FeatureStepFit>(cspJson, Options));
        Assert.Equal(csp.Csp.Filters, cspBack.Csp.Filters);
        Assert.Equal(cspJson, JsonSerializer.Serialize<FeatureStepFit>(cspBack, Options));

        var tangent = new TangentSpaceStepFit(new TangentSpaceFit(1, TangentSpaceMetric.LogEuclid, [2.5], [0.6324555320336759], 0.05));
        string tangentJson = JsonSerializer.Serialize<FeatureStepFit>(tangent, Options);
        Assert.Equal("{\"type\":\"tangent_space\",\"tangent_space\":" + JsonSerializer.Serialize(tangent.TangentSpace, Options) + "}", tangentJson);
        Assert.Equal(tangentJson, JsonSerializer.Serialize(JsonSerializer.Deserialize<FeatureStepFit>(tangentJson, Options), Options));

        Assert.Equal("{\"type\":\"band_power\"}", JsonSerializer.Serialize<FeatureStepFit>(new Unfitted<BandPowerSpec>(), Options));
        Assert.IsType<Unfitted<BandPowerSpec>>(JsonSerializer.Deserialize<FeatureStepFit>("{\"type\":\"band_power\"}", Options));

        var missing = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FeatureStepFit>("{\"type\":\"csp\"}", Options));
        Assert.Contains("the fitted state of 'csp' has no 'csp'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFittedAlignmentWritesItsOptionsAndSubjectsAndFormatOneKeepsThemAtTheTopLevel()
    {
        var alignment = new FittedAlignment(
            new EuclideanAlignmentOptions { Shrinkage = 0.1 },
            new Dictionary<string, AlignmentFit> { ["S002"] = new("S002", 1, 45, [2.5], [0.6324555320336759]) });
        string own = JsonSerializer.Serialize(alignment, Options);
        Assert.StartsWith("{\"alignment\":{\"shrinkage\":0.1", own, StringComparison.Ordinal);
        Assert.Contains(",\"subject_alignments\":{\"S002\":{\"subject\":\"S002\"", own, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<FittedAlignment>(own, Options)!;
        Assert.Equal(alignment.Options, back.Options);
        Assert.Equal([0.6324555320336759], back.For("S002")!.Whitening);
        Assert.Equal(own, JsonSerializer.Serialize(back, Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FittedAlignment>("{\"subject_alignments\":{}}", Options));

        // In a fitted pipeline the two members sit between the signal designs and the features, as in format 1.
        var fitted = new FittedPipeline
        {
            PipelineName = "p", Channels = ["C3"], SampleRateHz = 160, EpochSamples = 320, ClassNames = ["left", "right"],
            States = [alignment, new Unfitted<LogVarianceSpec>()], FeatureNames = ["C3"],
        };
        string json = fitted.ToJson();
        Assert.Contains("\"signal_designs\":[]," + own[1..^1] + ",\"features\":", json, StringComparison.Ordinal);
        var read = FittedPipeline.FromJson(json, "test");
        Assert.Equal(json, read.ToJson());
        Assert.Equal(45, read.Alignment!.For("S002")!.EpochCount);

        var none = fitted with { States = [.. fitted.States.Where(s => s is not FittedAlignment)] };
        Assert.Contains("\"signal_designs\":[],\"subject_alignments\":{},\"features\":", none.ToJson(), StringComparison.Ordinal);
        Assert.Null(FittedPipeline.FromJson(none.ToJson(), "test").Alignment);
    }

    [Fact]
    public void TheFittedStandardizationWritesItsStatisticsAsFormatOnesStandardization()
    {
        var standardization = new FittedStandardization(new StandardizationFit([0.5, -1.25], [2, 0.1]));
        string own = JsonSerializer.Serialize(standardization, Options);
        Assert.Equal("{\"mean\":[0.5,-1.25],\"scale\":[2,0.1]}", own);
        var back = JsonSerializer.Deserialize<FittedStandardization>(own, Options)!;
        Assert.Equal([0.5, -1.25], back.Statistics.Mean);
        Assert.Equal([2, 0.1], back.Statistics.Scale);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FittedStandardization>("[1]", Options));

        var fitted = new FittedPipeline
        {
            PipelineName = "p", Channels = ["C3"], SampleRateHz = 160, EpochSamples = 320, ClassNames = ["left", "right"],
            States = [new Unfitted<LogVarianceSpec>(), standardization], FeatureNames = ["a", "b"],
        };
        string json = fitted.ToJson();
        Assert.Contains("}],\"standardization\":" + own + ",\"feature_names\":", json, StringComparison.Ordinal);
        var read = FittedPipeline.FromJson(json, "test");
        Assert.Equal(json, read.ToJson());
        Assert.Equal([2, 0.1], read.Standardization!.Statistics.Scale);
        Assert.DoesNotContain("standardization", (fitted with { States = [.. fitted.States.Where(s => s is not FittedStandardization)] }).ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheStandardizationPerSubjectWritesEachSubjectsStatisticsAsFormatOnesSubjectStandardization()
    {
        var perSubject = new FittedSubjectStandardization(8, 4, new Dictionary<string, StandardizationFit>
        {
            ["S001"] = new([0.5, -1.25], [2, 0.1]),
            ["S002"] = new([1, 2], [3, 4]),
        });
        string own = JsonSerializer.Serialize(perSubject, Options);
        Assert.Equal("{\"warmup_windows\":8,\"update_every_windows\":4,\"subjects\":{\"S001\":{\"mean\":[0.5,-1.25],\"scale\":[2,0.1]},\"S002\":{\"mean\":[1,2],\"scale\":[3,4]}}}", own);
        var back = JsonSerializer.Deserialize<FittedSubjectStandardization>(own, Options)!;
        Assert.Equal([3, 4], back.For("S002")!.Scale);
        Assert.Null(back.For("S003"));
        Assert.Equal(["S002"], back.Only("S002").Subjects.Keys);

        var fitted = new FittedPipeline
        {
            PipelineName = "p", Channels = ["C3"], SampleRateHz = 160, EpochSamples = 320, ClassNames = ["left", "right"],
            States = [new Unfitted<LogVarianceSpec>(), perSubject], FeatureNames = ["a", "b"],
        };
        string json = fitted.ToJson();
        Assert.Contains("}],\"subject_standardization\":" + own + ",\"feature_names\":", json, StringComparison.Ordinal);
        var read = FittedPipeline.FromJson(json, "test");
        Assert.Equal(json, read.ToJson());
        Assert.Equal([2, 0.1], read.SubjectStandardization!.For("S001")!.Scale);
        Assert.Null(read.Standardization);
        Assert.Equal(["S001"], fitted.OnlyFor("S001").SubjectStandardization!.Subjects.Keys);

        // What a bad model file holds is refused, naming the state; nothing is divided by a zero scale later.
        foreach (string bad in new[]
        {
            own.Replace("[3,4]", "[3,0]", StringComparison.Ordinal),
            own.Replace("[1,2]", "[1,\"NaN\"]", StringComparison.Ordinal),
            own.Replace("[1,2]", "[1]", StringComparison.Ordinal),
            own.Replace("\"warmup_windows\":8", "\"warmup_windows\":0", StringComparison.Ordinal),
            own.Replace("\"update_every_windows\":4", "\"update_every_windows\":2147483647", StringComparison.Ordinal),
            own.Replace("\"subjects\"", "\"subjectz\"", StringComparison.Ordinal),
        })
        {
            var e = Assert.Throws<InvalidDataException>(() => FittedPipeline.FromJson(json.Replace(own, bad, StringComparison.Ordinal), "model.eegdann"));
            Assert.Contains("model.eegdann", e.Message, StringComparison.Ordinal);
            Assert.Contains("per subject", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheFittedPipelineIsOneListOfStatesInPipelineOrderWhichFormatOneGroupsAndReadsBackInThatOrder()
    {
        var filter = new BandPassSpec(8, 30, 4).Fit(160);
        var bank = new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12, 30)], 4).Fit(160);
        var alignment = new FittedAlignment(new EuclideanAlignmentOptions(), new Dictionary<string, AlignmentFit>());
        FeatureStepFit feature = new Unfitted<LogVarianceSpec>();
        var standardization = new FittedStandardization(new StandardizationFit([0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]));
        var fitted = new FittedPipeline
        {
            PipelineName = "p", Channels = ["C3", "C4"], SampleRateHz = 160, EpochSamples = 320, ClassNames = ["left", "right"],
            States = [filter, bank, alignment, feature, standardization], FeatureNames = ["a", "b", "c", "d"],
        };

        // The typed properties are views of the one list.
        Assert.Equal<FittedSignalStep>([filter, bank], fitted.SignalSteps);
        Assert.Equal(2, fitted.BandCount);
        Assert.Same(alignment, fitted.Alignment);
        Assert.Same(feature, Assert.Single(fitted.Features));
        Assert.Same(standardization, fitted.Standardization);

        string json = fitted.ToJson();
        var read = FittedPipeline.FromJson(json, "test");
        Assert.Equal([typeof(FittedFilter), typeof(FittedFilterBank), typeof(FittedAlignment), typeof(Unfitted<LogVarianceSpec>), typeof(FittedStandardization)], read.States.Select(s => s.GetType()));
        Assert.Equal(json, read.ToJson());
        foreach (var state in fitted.States)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                state.WriteJson(writer, Options);
            }

            string own = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            Assert.Contains(state is FittedAlignment ? own[1..^1] : own, json, StringComparison.Ordinal);
        }

        var smaller = fitted with { States = [filter, feature] };
        Assert.Equal((null, null, 1), (smaller.Alignment, smaller.Standardization, smaller.BandCount));
    }

    [Fact]
    public void FormatOneRefusesStatesItCannotStoreOrWouldReadBackInAnotherOrder()
    {
        var filter = new BandPassSpec(8, 30, 4).Fit(160);
        FeatureStepFit feature = new Unfitted<LogVarianceSpec>();
        var alignment = new FittedAlignment(new EuclideanAlignmentOptions(), new Dictionary<string, AlignmentFit>());
        var fitted = new FittedPipeline
        {
            PipelineName = "p", Channels = ["C3"], SampleRateHz = 160, EpochSamples = 320, ClassNames = ["left", "right"],
            States = [filter, feature], FeatureNames = ["C3"],
        };
        Assert.Contains("\"signal_designs\":[{", fitted.ToJson(), StringComparison.Ordinal);

        var reordered = Assert.Throws<InvalidOperationException>(() => (fitted with { States = [feature, filter] }).ToJson());
        Assert.Contains("format 1 cannot store states Unfitted`1, FittedFilter", reordered.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => (fitted with { States = [filter, feature, new OtherState()] }).ToJson());
        var bank = new FilterBankSpec([new FrequencyBand(8, 12), new FrequencyBand(12, 30)], 4).Fit(160);
        Assert.Throws<InvalidOperationException>(() => (fitted with { States = [filter, bank, bank, feature] }).ToJson());
        Assert.Throws<ArgumentException>(() => fitted with { States = [filter, alignment, alignment, feature] });
    }

    /// <summary>A state of a step type format 1 has no place for.</summary>
    private sealed class OtherState : IFittedState
    {
        public void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options) => writer.WriteNullValue();
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
