using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>The feature step classes: each one's fit survives the model file's JSON, its parameter problems name the key, and old model files still load.</summary>
public sealed class FeatureStepTests
{
    private static readonly string[] Motor = ["Fc3", "Fcz", "Fc4", "C5", "C3", "C1", "Cz", "C2", "C4", "C6", "Cp3", "Cpz", "Cp4"];

    [Theory]
    [InlineData("log_variance", "{}", typeof(Unfitted<LogVarianceSpec>))]
    [InlineData("covariance", "{}", typeof(Unfitted<CovarianceSpec>))]
    [InlineData("band_power", """{"bands": [[8, 12], [12, 30]], "log": true}""", typeof(Unfitted<BandPowerSpec>))]
    [InlineData("csp", """{"components": 4, "regularization": 0.1}""", typeof(CspStepFit))]
    [InlineData("tangent_space", """{"metric": "log_euclid", "shrinkage": 0.05}""", typeof(TangentSpaceStepFit))]
    public void EachFeatureStepsFitSurvivesJsonAndBuildsTheSameExtractor(string type, string parameters, Type fitType)
    {
        var definition = Definition(type, JsonNode.Parse(parameters)!.AsObject());
        var signal = SignalPipeline.Create(definition);
        var source = EpochSet.Concat(new[] { "R04", "R08" }.Select(r => signal.ExtractEpochs(RealRecordings.Read("S001", r)).Epochs).ToArray());
        var fitted = FeaturePipeline.Fit(signal, [source]);

        var step = Assert.Single(fitted.Features);
        Assert.IsType(fitType, step);
        Assert.Equal(type, step.Type);
        string json = fitted.ToJson();
        Assert.Contains($$"""
            "features":[{"type":"{{type}}"
            """, json, StringComparison.Ordinal);
        var restored = FittedPipeline.FromJson(json, "model.json");
        Assert.IsType(fitType, Assert.Single(restored.Features));
        Assert.Equal(json, restored.ToJson());

        var before = FeaturePipeline.Transform(definition, fitted, source);
        var after = FeaturePipeline.Transform(definition, restored, source);
        Assert.Equal(before.FeatureNames, after.FeatureNames);
        Assert.Equal(before.Values, after.Values);
    }

    [Theory]
    [InlineData("log_variance", """{"window": 2}""", "unknown parameter 'window' (it takes none)")]
    [InlineData("covariance", """{"shrinkage": 0.1}""", "unknown parameter 'shrinkage' (it takes none)")]
    [InlineData("band_power", """{"bands": [[8, 120]]}""", "'bands' band 8–120 Hz must satisfy")]
    [InlineData("csp", """{"components": 14}""", "'components' 14 exceeds the 13 channels")]
    [InlineData("tangent_space", """{"metric": "euclid"}""", "'metric' must be one of")]
    public void EachFeatureStepsParameterProblemNamesTheStepAndTheKey(string type, string parameters, string problem)
    {
        var e = Assert.Throws<PipelineDefinitionException>(() => Definition(type, JsonNode.Parse(parameters)!.AsObject()));
        Assert.Contains($"step 2 '{type}': {problem}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelFileWrittenBeforeTheStepClassesLoadsAndDecodesAsItDidThen()
    {
        // tests/data/replay/s002.eegdann was written by calibrate-new-subject before the fitted
        // state became one type per step; its README gives its S002 accuracy, 0.711 (32 of 45).
        string path = TestData.TestDataFile("replay", "s002.eegdann");
        using var stream = File.OpenRead(path);
        using var package = ModelFile.Read(stream);
        var (definition, fitted) = PipelineModelContext.Read(package.Context, path);
        // The manifest indents the stored state; written compactly it is exactly what the fitted pipeline writes now.
        var stored = package.Context.FittedStages.Single(s => s.Name == PipelineModelContext.FittedStageName).State;
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(stored), fitted.ToJson());
        Assert.Equal(5, fitted.Features.Count);
        Assert.All(fitted.Features, f => Assert.IsType<Unfitted<LogVarianceSpec>>(f));

        var signal = SignalPipeline.Create(definition, fitted);
        var epochs = EpochSet.Concat(new[] { "R04", "R08", "R12" }.Select(r => signal.ExtractEpochs(RealRecordings.Read("S002", r), $"S002{r}").Epochs).ToArray());
        var table = FeaturePipeline.Transform(definition, fitted, epochs);
        var predicted = package.Model.Predict(new SampleMatrix(table.Values.Select(v => (float)v).ToArray(), table.RowCount, table.FeatureCount));
        var labels = epochs.Epochs.Select(e => definition.ClassNames.ToList().IndexOf(e.Info.Label!)).ToArray();
        Assert.Equal(45, labels.Length);
        Assert.Equal(32, predicted.Zip(labels).Count(p => p.First == p.Second));
    }

    [Fact]
    public void AnUnknownFeatureStepTypeInAFittedPipelineIsAnErrorNamingTheType()
    {
        var definition = Definition("log_variance", []);
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs]);
        string json = fitted.ToJson().Replace("""{"type":"log_variance"}""", """{"type":"wavelet"}""", StringComparison.Ordinal);

        var e = Assert.Throws<InvalidDataException>(() => FittedPipeline.FromJson(json, "old.eegdann"));
        Assert.StartsWith("old.eegdann: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown feature step type 'wavelet'", e.Message, StringComparison.Ordinal);
        Assert.Contains("known: band_power, covariance, csp, log_variance, tangent_space", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStepBuiltFromAnotherStepsFitSaysWhichTwo()
    {
        var shape = new FeatureShape(Motor, 320, 160);
        IFeatureStep csp = new CspSpec(4, 0);
        var e = Assert.Throws<ArgumentException>(() => csp.Create(shape, new Unfitted<LogVarianceSpec>()));
        Assert.Contains("step 'csp' cannot be built from the fitted state of a 'log_variance' step", e.Message, StringComparison.Ordinal);
    }

    /// <summary>mi-logvar on the motor channels with one feature step after its band-pass.</summary>
    private static PipelineDefinition Definition(string type, JsonObject parameters)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!.AsObject();
        json["signal"]!["channels"] = new JsonArray(Motor.Select(c => (JsonNode)c).ToArray());
        json["steps"] = new JsonArray(
            new JsonObject { ["type"] = "bandpass", ["parameters"] = new JsonObject { ["low_hz"] = 8, ["high_hz"] = 30 } },
            new JsonObject { ["type"] = type, ["parameters"] = parameters });
        return PipelineDefinitionLoader.Parse(json.ToJsonString(), "test.json");
    }
}
