using System.Text.Json.Nodes;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

public sealed class PipelineDefinitionTests
{
    public static TheoryData<string> ShippedPipelines()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestData.PipelinesDirectory, "*.json").Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedPipelines))]
    public void EveryShippedPipelineLoadsAndCompiles(string file)
    {
        var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, file));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), definition.Name);
        Assert.NotEmpty(definition.Citations);
        Signal.SignalPipeline.Create(definition);
    }

    [Fact]
    public void MiLogVarIsTheIssuesPipeline()
    {
        var d = RealRecordings.MiLogVar;
        Assert.Equal(160, d.Signal.SampleRateHz);
        Assert.Equal(64, d.Signal.Channels.Count);
        Assert.Equal("left", d.Paradigm.Events["T1"]);
        Assert.Equal("right", d.Paradigm.Events["T2"]);
        Assert.Equal(["R04", "R08", "R12"], d.Paradigm.Runs);
        Assert.Equal(0.5, d.Paradigm.EpochStartSeconds);
        Assert.Equal(320, d.EpochSamples);
        Assert.Equal(new BandPassSpec(8, 30, 4), d.Steps[0]);
        Assert.IsType<LogVarianceSpec>(d.Steps[1]);
        Assert.Equal(2, d.Steps.Count);
        Assert.Equal(["left", "right"], d.ClassNames);
        Assert.Same(ExtractorKind.Mlp, d.Model.Extractor);
    }

    [Fact]
    public void TrainingCropsMakesThePipelinesMethodItsCroppedVariantAndIsOffByDefault()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")))!;
        Assert.Equal("ea_dann_x5", Calibration.CalibrationMethod.Of(PipelineDefinitionLoader.Parse(json.ToJsonString(), "mi-fb-dann")).Name);
        json["training"]!["crops"] = true;
        var cropped = PipelineDefinitionLoader.Parse(json.ToJsonString(), "mi-fb-dann (crops)");
        Assert.True(cropped.Training.Crops);
        var method = Calibration.CalibrationMethod.Of(cropped);
        Assert.Equal("ea_dann_crops_x5", method.Name);
        Assert.True(method.Cropped);
        json["training"]!["crops"] = "yes";
        Assert.Contains("crops", Assert.ThrowsAny<Exception>(() => PipelineDefinitionLoader.Parse(json.ToJsonString(), "bad")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownStepTypeFailsNamingTheFileTheStepAndTheKnownTypes()
    {
        var e = Invalid(j => j["steps"]!.AsArray().Insert(1, Step("wavelet_denoise", new JsonObject())));
        Assert.StartsWith("bad.json: ", e.Message);
        Assert.Contains("step 2 'wavelet_denoise': unknown step type 'wavelet_denoise'", e.Message);
        Assert.Contains("bandpass", e.Message);
    }

    [Fact]
    public void AnUnknownParameterFailsNamingTheStepAndTheKnownParameters()
    {
        var e = Invalid(j => j["steps"]![0]!["parameters"]!["lowhz"] = 8);
        Assert.Contains("step 1 'bandpass': unknown parameter 'lowhz' (known: low_hz, high_hz, order)", e.Message);
    }

    [Fact]
    public void EveryProblemIsListedAtOnce()
    {
        var e = Invalid(j =>
        {
            j["steps"]![0]!["parameters"]!["order"] = 0;
            j["signal"]!["sample_rate_hz"] = -1;
            j["training"]!["method"] = "magic";
            j["colour"] = "blue";
        });
        Assert.Equal(4, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("'order' must be ≥ 1"));
        Assert.Contains(e.Problems, p => p.Contains("'sample_rate_hz' must be > 0"));
        Assert.Contains(e.Problems, p => p.Contains("training: 'method' must be one of"));
        Assert.Contains(e.Problems, p => p.Contains("unknown parameter 'colour'"));
    }

    [Fact]
    public void AFilterThatCannotBeDesignedAtThePipelineRateIsRefusedBeforeAnythingRuns()
    {
        var e = Invalid(j => j["steps"]![0]!["parameters"]!["high_hz"] = 90);
        Assert.Contains("step 1 'bandpass'", e.Message);
        Assert.Contains("Nyquist frequency 80 Hz", e.Message);
    }

    [Fact]
    public void StepsOutOfOrderAreRefused()
    {
        var e = Invalid(j => j["steps"]!.AsArray().Add(Step("notch", new JsonObject { ["frequency_hz"] = 50 })));
        Assert.Contains("step 3 'notch': a signal step cannot come after step 2 'log_variance'", e.Message);
    }

    [Fact]
    public void WindowsMustHaveTheEpochsLength()
    {
        var e = Invalid(j => j["windows"]!["length_s"] = 1.0);
        Assert.Contains("windows: 'length_s' (1 s = 160 samples) must equal the epoch length", e.Message);
    }

    [Fact]
    public void TheRemovedConvExtractorIsRefusedNamingTheSectionAndTheSupportedExtractors()
    {
        var e = Invalid(j => j["model"]!["extractor"] = "conv");
        Assert.Contains("model: 'extractor' \"conv\" is no longer supported: the convolutional extractor was removed", e.Message);
        Assert.Contains("supported extractors: \"mlp\"", e.Message);

        var other = Invalid(j => j["model"]!["extractor"] = "transformer");
        Assert.Contains("model: 'extractor' must be one of the supported extractors \"mlp\", got \"transformer\"", other.Message);
    }

    [Fact]
    public void TheExtractorIsATypedValueThatBuildsTheModelsSpecificationAndIsFoundByItsExactName()
    {
        Assert.Same(ExtractorKind.Mlp, ExtractorKind.Find("mlp"));
        Assert.Null(ExtractorKind.Find("MLP"));
        Assert.Null(ExtractorKind.Find("conv"));
        Assert.Equal(["mlp"], ExtractorKind.All.Select(e => e.Name));
        Assert.True(ExtractorKind.Mlp.ReadsFeatureVectors);
        Assert.Same(ExtractorKind.Mlp, ExtractorKind.Of(new Model.MlpExtractorSpec([8], 0.1)));

        var d = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
        Assert.Equal(new Model.MlpExtractorSpec([16], 0.5), d.Model.ToExtractorSpec());
        Assert.Equal("mlp", $"{d.Model.Extractor}");
        var e = Invalid(j => j["steps"] = new JsonArray(JsonNode.Parse("""{"type": "bandpass", "parameters": {"low_hz": 8, "high_hz": 30}}""")));
        Assert.Contains("steps: the mlp extractor reads feature vectors; add at least one feature step", e.Message);
    }

    [Fact]
    public void CspComponentsCannotExceedTheChannels()
    {
        var e = Invalid(j =>
        {
            j["signal"]!["channels"] = new JsonArray("C3", "Cz", "C4");
            j["steps"]!.AsArray().Add(Step("csp", new JsonObject { ["components"] = 6 }));
        });
        Assert.Contains("step 3 'csp'", e.Message);
        Assert.Contains("exceeds the 3 channels", e.Message);
    }

    [Fact]
    public void InvalidJsonNamesTheFile()
    {
        var e = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse("{ \"name\": ", "broken.json"));
        Assert.StartsWith("broken.json: not valid JSON", e.Message);
    }

    [Fact]
    public void AlignmentCanBeAddedAndRemovedForBaselines()
    {
        var d = RealRecordings.MiLogVar;
        var aligned = d.WithAlignment(new EuclideanAlignmentSpec(new Dsp.Alignment.EuclideanAlignmentOptions(), AlignmentReference.Epochs));
        Assert.Equal(["bandpass", "euclidean_alignment", "log_variance"], aligned.Steps.Select(s => s.Type));
        Assert.Equal(["bandpass", "log_variance"], aligned.WithoutAlignment().Steps.Select(s => s.Type));
    }

    [Fact]
    public void ModelAndTrainingSectionsMapOntoTheNetworksOptions()
    {
        var options = RealRecordings.MiLogVar.ToTrainingOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(Model.TrainingMethod.Dann, options.Method);
        Assert.Equal(new Model.MlpExtractorSpec([64, 64], 0.25), options.Extractor);
        Assert.Equal(150, options.Epochs);
        Assert.Equal(32, options.BatchSize);
        Assert.Equal(1e-4, options.WeightDecay);
        Assert.Equal(Model.InputStandardization.ZScore, options.Standardization);
        Assert.Equal(Model.TrainingMethod.SourceOnly, RealRecordings.MiLogVar.ToTrainingOptions(Model.TrainingMethod.SourceOnly, seed: 3).Method);
        Assert.Equal([64], RealRecordings.MiLogVar.SampleShape(64));
    }

    [Fact]
    public void APipelineWithoutModelAndTrainingSectionsGetsEveryTrainingOptionsDefault()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!.AsObject();
        json.Remove("model");
        json.Remove("training");
        var definition = PipelineDefinitionLoader.Parse(json.ToJsonString(), "defaults.json");

        var options = definition.ToTrainingOptions();

        // Field by field, so a property added to TrainingOptions is compared without touching this test.
        var defaults = new Model.TrainingOptions();
        foreach (var property in typeof(Model.TrainingOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            object? expected = property.GetValue(defaults);
            object? actual = property.GetValue(options);
            bool same = expected is IEnumerable<int> e && actual is IEnumerable<int> a ? e.SequenceEqual(a) : Equals(expected, actual);
            Assert.True(same, $"{property.Name}: a pipeline that leaves it out gets {Show(actual)}, TrainingOptions' default is {Show(expected)}");
        }

        Assert.Equal(1, definition.Training.Ensemble);
        Assert.False(definition.Training.Crops);
    }

    [Theory]
    [InlineData("training", "epochs", 1_000_000_000, "training: 'epochs' must be ≤ 100000")]
    [InlineData("training", "batch_size", 1_000_000_000, "training: 'batch_size' must be ≤ 65536")]
    [InlineData("model", "hidden_sizes", 1_000_000_000, "model: 'hidden_sizes' every value must be ≤ 65536")]
    [InlineData("model", "domain_hidden_sizes", 1_000_000_000, "model: 'domain_hidden_sizes' every value must be ≤ 65536")]
    public void AnAbsurdSizeIsRefusedWithAClearPipelineErrorBeforeAnythingIsAllocated(string section, string key, int value, string expected)
    {
        var e = Invalid(j =>
        {
            j[section] ??= new JsonObject();
            j[section]![key] = key.EndsWith("sizes", StringComparison.Ordinal) ? new JsonArray(value) : value;
        });
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("[16, 1e9]", "model: 'hidden_sizes' must be a list of integers, entry 2 is 1e9")]
    [InlineData("[16.5]", "model: 'hidden_sizes' must be a list of integers, entry 1 is 16.5")]
    [InlineData("[\"16\"]", "model: 'hidden_sizes' must be a list of integers, entry 1 is \"16\"")]
    [InlineData("16", "model: 'hidden_sizes' must be a list of integers, got 16")]
    public void AListEntryThatIsNotAnIntegerIsQuotedInTheError(string hiddenSizes, string expected)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!.AsObject();
        node["model"]!["hidden_sizes"] = "@@";
        string text = node.ToJsonString().Replace("\"@@\"", hiddenSizes, StringComparison.Ordinal);
        var e = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(text, "bad.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WidthsThatAreEachAllowedButTogetherTooManyParametersAreRefused()
    {
        var e = Invalid(j => j["model"] = new JsonObject { ["hidden_sizes"] = new JsonArray(60000, 60000, 60000) });
        Assert.Contains("parameters, more than the 67108864 accepted", e.Message);
    }

    [Fact]
    public void AHugeNumberInThePipelineIsNotEchoedWholeIntoTheError()
    {
        string digits = new('9', 5_000_000);
        var json = File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"));
        var node = JsonNode.Parse(json)!.AsObject();
        node["training"] ??= new JsonObject();
        node["training"]!["learning_rate"] = 12345;
        string text = node.ToJsonString().Replace("12345", digits, StringComparison.Ordinal);
        var e = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(text, "bad.json"));
        Assert.Contains("learning_rate", e.Message);
        Assert.True(e.Message.Length < 2000, $"a {e.Message.Length}-character message");
    }

    [Fact]
    public void RunEventsGiveARunItsOwnClassesAndTheClassesAreTheirUnion()
    {
        var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-4class.json"));

        Assert.Equal(["feet", "fists", "left", "right"], definition.ClassNames);
        Assert.Equal("left", definition.Paradigm.EventsFor("R04")["T1"]);
        Assert.Equal("fists", definition.Paradigm.EventsFor("R06")["T1"]);
        Assert.Equal("feet", definition.Paradigm.EventsFor("r10")["T2"]);
        Assert.Equal("left", definition.Paradigm.EventsFor(null)["T1"]);
        Assert.Equal(["R04", "R08", "R12", "R06", "R10", "R14"], definition.Paradigm.TargetRuns);
    }

    [Fact]
    public void RunEventsNamingAnUnknownRunOrAnEmptyMapFailNamingTheRun()
    {
        var e = Invalid(json => json["paradigm"]!["run_events"] = new JsonObject
        {
            ["R06"] = new JsonObject { ["T1"] = "fists", ["T2"] = "feet" },
            ["R05"] = new JsonObject(),
        });

        Assert.Contains("paradigm.run_events: 'R06' is not one of the paradigm's runs (R04, R08, R12)", e.Message);
        Assert.Contains("paradigm.run_events.R05: must map at least one event label to a class", e.Message);
    }

    private static JsonObject Step(string type, JsonObject parameters) => new() { ["type"] = type, ["parameters"] = parameters };

    [Fact]
    public void ThePipelinesPageListsTheDefaultsTheLoaderGives()
    {
        string page = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "pipelines.md"));
        var m = ModelSettingsMapping.DefaultModel;
        var t = ModelSettingsMapping.DefaultTraining;
        string[] expected =
        [
            $"`extractor` (`{m.Extractor}`", $"`hidden_sizes` ({List(m.HiddenSizes)})", $"`dropout` ({Number(m.Dropout)})",
            $"`domain_hidden_sizes` ({List(m.DomainHiddenSizes)})", $"`standardization` (`{m.Standardization}`",
            $"`method` (`{t.Method}`", $"`seed` ({t.Seed})", $"`epochs` ({t.Epochs})", $"`batch_size` ({t.BatchSize})",
            $"`learning_rate` ({Number(t.LearningRate)})", $"`learning_rate_alpha` ({Number(t.LearningRateAlpha)})",
            $"`learning_rate_beta` ({Number(t.LearningRateBeta)})", $"`momentum` ({Number(t.Momentum)})",
            $"`weight_decay` ({Number(t.WeightDecay)})", $"`lambda_scale` ({Number(t.LambdaScale)})", $"`lambda_gamma` ({Number(t.LambdaGamma)})",
            $"`target_label_weight` ({Number(t.TargetLabelWeight)})", $"`reweighting_clip` ({Number(t.ReweightingClip)})",
            $"`reweighting_c` ({Number(t.ReweightingC)})", $"`ensemble` ({t.Ensemble})", $"`crops` ({(t.Crops ? "true" : "false")})",
        ];

        Assert.All(expected, entry => Assert.Contains(entry, page, StringComparison.Ordinal));

        static string Number(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        static string List(IReadOnlyList<int> values) => $"[{string.Join(", ", values)}]";
    }

    private static string Show(object? value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static PipelineDefinitionException Invalid(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!.AsObject();
        edit(json);
        return Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(json.ToJsonString(), "bad.json"));
    }
}
