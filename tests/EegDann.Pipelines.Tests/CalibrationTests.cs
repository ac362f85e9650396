using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace EegDann.Pipelines.Tests;

public sealed class CalibrationTests
{
    private static readonly string[] Runs = ["R04", "R08", "R12"];

    /// <summary>The shipped filter-bank pipeline with a small training budget (tests check behaviour, not accuracy).</summary>
    /// <summary>The shipped default with a small budget; <paramref name="perSubject"/> false removes its standardisation per subject (the sources' statistics only, inside the network, as before 2026-12-07).</summary>
    internal static PipelineDefinition Small(double learningRate = 0.01, int epochs = 6, int ensemble = 2, bool perSubject = true)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")))!;
        var steps = json["steps"]!.AsArray();
        var standardize = steps.Single(s => s!["type"]!.GetValue<string>() == "standardize")!;
        Assert.Equal("subject", standardize["parameters"]!["per"]!.GetValue<string>());
        if (!perSubject)
        {
            steps.Remove(standardize);
        }

        json["training"]!["epochs"] = epochs;
        json["training"]!["ensemble"] = ensemble;
        json["training"]!["learning_rate"] = learningRate;
        return PipelineDefinitionLoader.Parse(json.ToJsonString(), "mi-fb-dann (small)");
    }

    private static async Task<Recording> Shipped(string subject, string run) =>
        await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, $"{subject}{run}.parquet"));

    private static async Task<IReadOnlyList<RecordingInput>> Subject(string subject) =>
        await Task.WhenAll(Runs.Select(async r => RecordingInput.FromRecording(await Shipped(subject, r), $"{subject}{r}.parquet")));

    private static float[] Weights(TrainedModel model)
    {
        using var scope = NewDisposeScope();
        return model.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public async Task CalibratingS002FromS001WritesAModelThatLoadsAndAReportThatParses()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var request = new CalibrateRequest
        {
            Pipeline = Small(),
            Sources = Runs.Select(r => RecordingInput.FromPath(Path.Combine(TestData.RecordingsDirectory, $"S001{r}.parquet"))).ToArray(),
            Targets = await Subject("S002"),
            ModelPath = dir.File("s002.eegdann"),
        };

        using var outcome = await CalibrateNewSubject.RunAsync(request, NullLogger.Instance);

        Assert.Equal("ea_dann_x2", outcome.Method.Name);
        string[] expected = ["s002.eegdann", "s002.report.json", "s002.report.md", "s002.report.html", "s002.report.methods.png", "s002.report.training.png", "s002.report.features.png"];
        Assert.Equal(expected.Select(dir.File), outcome.WrittenFiles);
        Assert.All(expected, f => Assert.True(new FileInfo(dir.File(f)).Length > 0, f));
        Assert.All(expected.Where(f => f.EndsWith(".png", StringComparison.Ordinal)), f => Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(dir.File(f))[..4]));

        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("s002.report.json")));
        var root = report.RootElement;
        Assert.Equal("ea_dann_x2", root.GetProperty("method").GetString());
        Assert.Equal("scoring only", root.GetProperty("target").GetProperty("labels_used_for").GetString());
        Assert.Equal(45, root.GetProperty("target").GetProperty("scored_epochs").GetInt32());
        var methods = root.GetProperty("methods").EnumerateArray().ToArray();
        Assert.Equal(["source_only", "reweighting", "ea_source_only", "csp_lda", "ea_csp_lda", "ea_csp_lda_8_30", "ea_ts_lr", "ea_dann_x2"], methods.Select(m => m.GetProperty("method").GetString()));
        Assert.All(methods, m => Assert.InRange(m.GetProperty("accuracy").GetDouble(), 0, 1));
        Assert.All(methods, m => Assert.True(m.GetProperty("accuracy_ci95")[0].GetDouble() <= m.GetProperty("accuracy").GetDouble()));
        Assert.All(methods, m => Assert.Equal(45, m.GetProperty("confusion").GetProperty("rows_true_columns_predicted").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(v => v.GetInt32())));
        var curves = methods[^1].GetProperty("training_curves");
        Assert.Equal(6, curves.GetProperty("domain_accuracy").GetArrayLength());
        Assert.Contains("Scored target epochs: 45", File.ReadAllText(dir.File("s002.report.md")));
        string html = File.ReadAllText(dir.File("s002.report.html"));
        Assert.Contains("Scored target epochs: 45", html);
        Assert.Contains("<td>source_only</td>", html);
        Assert.Equal(3, html.Split("src=\"data:image/png;base64,").Length - 1);
        Assert.DoesNotContain("not found]", html);

        using var stream = File.OpenRead(dir.File("s002.eegdann"));
        using var package = ModelFile.Read(stream);
        var (definition, fitted) = PipelineModelContext.Read(package.Context, "s002.eegdann");
        Assert.Equal("mi-fb-dann", definition.Name);
        Assert.Equal(["S002"], fitted.Alignment!.Subjects.Keys);
        Assert.Equal([32], ((MlpExtractorSpec)package.Model.Spec.Extractor).HiddenSizes);
        Assert.Equal(Weights(outcome.Kept.Model), Weights(package.Model));
        Assert.True(package.CheckFit((await Shipped("S002", "R04")).Info, [fitted.FeatureNames.Count]).Fits);

        // The model decodes the target's epochs through the pipeline exactly as the report scored them.
        var signal = SignalPipeline.Create(definition, fitted);
        var epochs = EpochSet.Concat(await Task.WhenAll(Runs.Select(async r => signal.ExtractEpochs(await Shipped("S002", r), $"S002{r}").Epochs)));
        var table = FeaturePipeline.Transform(definition, fitted, epochs);
        var predicted = package.Model.Predict(new SampleMatrix(table.Values.Select(v => (float)v).ToArray(), table.RowCount, table.FeatureCount));
        var labels = epochs.Epochs.Select(e => e.Info.Label == "left" ? 0 : 1).ToArray();
        double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / 45.0;
        Assert.Equal(methods[^1].GetProperty("accuracy").GetDouble(), accuracy, 9);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PermutingTheTargetsLabelsChangesNoTrainedWeightAndNoPrediction(bool perSubject)
    {
        var sources = await Subject("S001");
        var target = await Subject("S002");
        var random = new Random(7);
        var permuted = target.Select(t =>
        {
            var r = t.Recording!;
            var labels = r.Events.Where(e => e.Label is "T1" or "T2").Select(e => e.Label).OrderBy(_ => random.Next()).ToArray();
            int k = 0;
            var events = r.Events.Select(e => e.Label is "T1" or "T2" ? e with { Label = labels[k++] } : e).ToArray();
            return RecordingInput.FromRecording(new Recording(r.Info, r.Samples, events, r.Metadata), t.Name);
        }).ToArray();
        Assert.NotEqual(target[0].Recording!.Events.Select(e => e.Label), permuted[0].Recording!.Events.Select(e => e.Label));

        var runs = new List<(CalibrationOutcome Outcome, FoldOutcomeSnapshot Runs)>();
        foreach (var t in new[] { target, permuted })
        {
            var data = CalibrationData.Create(Small(perSubject: perSubject), sources.Concat(t).Select(i => (i.Name, i.Recording!)).ToArray());
            var runner = new CrossSubjectRunner(data);
            using var fold = runner.Run(new CrossSubjectFold("S002", ["S001"]), Evaluate.DefaultMethods(data.Definition).Select(CalibrationMethod.Parse).ToArray(), [0], 0);
            var outcome = await CalibrateNewSubject.RunAsync(new CalibrateRequest { Pipeline = Small(perSubject: perSubject), Sources = sources, Targets = t }, NullLogger.Instance);
            Assert.Equal(perSubject, outcome.Kept.Fitted.SubjectStandardization is not null);
            runs.Add((outcome, new FoldOutcomeSnapshot(fold.Runs.Select(r => (r.Method.Name, r.Predicted!)).ToArray())));
        }

        Assert.Equal(Weights(runs[0].Outcome.Kept.Model), Weights(runs[1].Outcome.Kept.Model));
        Assert.Equal(runs[0].Runs.Predictions.Count, runs[1].Runs.Predictions.Count);
        foreach (var (a, b) in runs[0].Runs.Predictions.Zip(runs[1].Runs.Predictions))
        {
            Assert.Equal(a.Method, b.Method);
            Assert.Equal(a.Predicted, b.Predicted);
        }

        // The scores do change: they are the only thing the labels are used for.
        Assert.NotEqual(runs[0].Outcome.Report.Json["methods"]!.ToJsonString(), runs[1].Outcome.Report.Json["methods"]!.ToJsonString());
        foreach (var (outcome, _) in runs)
        {
            outcome.Dispose();
        }
    }

    private sealed record FoldOutcomeSnapshot(IReadOnlyList<(string Method, int[] Predicted)> Predictions);

    [Fact]
    public async Task ADivergingCalibrationWritesNothingAndKeepsTheExistingModel()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string model = dir.File("model.eegdann");
        await File.WriteAllBytesAsync(model, [1, 2, 3, 4]);
        var request = new CalibrateRequest { Pipeline = Small(learningRate: 1e6, ensemble: 1), Sources = await Subject("S001"), Targets = await Subject("S002"), ModelPath = model, Baselines = false };

        var e = await Assert.ThrowsAsync<CalibrationFailedException>(() => CalibrateNewSubject.RunAsync(request, NullLogger.Instance));

        Assert.Contains("No model was produced", e.Message);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(model));
        Assert.Equal(["model.eegdann"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task BadInputIsRefusedNamingTheFileAndTheProblem()
    {
        var sources = await Subject("S001");
        var targets = await Subject("S002");
        async Task<string> Problem(IReadOnlyList<RecordingInput> s, IReadOnlyList<RecordingInput> t, string? method = null, int labeled = 0)
        {
            var e = await Assert.ThrowsAsync<CalibrationInputException>(() => CalibrateNewSubject.RunAsync(
                new CalibrateRequest { Pipeline = Small(), Sources = s, Targets = t, Method = method, TargetLabeledPerClass = labeled }, NullLogger.Instance));
            return e.Message;
        }

        var r = targets[1].Recording!;
        var withoutC3 = new Recording(new SignalInfo(r.Info.SampleRateHz, r.Info.Channels.Where(c => c != "C3").ToArray()), r.Samples.Where((_, i) => r.Info.Channels[i] != "C3").ToArray(), r.Events, r.Metadata);
        string missing = await Problem(sources, [targets[0], RecordingInput.FromRecording(withoutC3, "S002R08.parquet"), targets[2]]);
        Assert.StartsWith("S002R08.parquet:", missing);
        Assert.Contains("C3", missing);

        var s = sources[0].Recording!;
        var unlabeled = sources.Select(x => RecordingInput.FromRecording(new Recording(x.Recording!.Info, x.Recording.Samples, [], x.Recording.Metadata), x.Name)).ToArray();
        string noEvents = await Problem(unlabeled, targets);
        Assert.Contains("S001R04.parquet, S001R08.parquet, S001R12.parquet: source subject S001 has no events the pipeline maps (T1 → left, T2 → right)", noEvents);

        var few = RecordingInput.FromRecording(new Recording(s.Info, s.Samples, s.Events.Where(e => e.Label == "T1").Take(3).Concat(s.Events.Where(e => e.Label == "T2")).OrderBy(e => e.OnsetSeconds).ToArray(), s.Metadata), "S001R04.parquet");
        string tooFew = await Problem([few], targets);
        Assert.Matches(@"^S001R04\.parquet: the sources have too few epochs per class \(left: 3, right: \d+\); at least 5 of each are needed", tooFew);

        Assert.Contains("subject S002 is the target; its recordings cannot also be sources", await Problem(targets.Take(1).Select(x => x with { Name = "copy.parquet" }).ToArray(), targets));
        Assert.Contains("report-only baseline", await Problem(sources, targets, method: "ea_csp_lda"));
        Assert.Contains("unknown method 'magic'", await Problem(sources, targets, method: "magic"));
        Assert.Contains("at least 31 of each are needed (30 labeled for training and at least one to score)", await Problem(sources, targets, labeled: 30));

        var nan = (float[][])s.Samples.Clone();
        nan[5] = (float[])nan[5].Clone();
        nan[5][1000] = float.NaN;
        string nonFinite = await Problem([RecordingInput.FromRecording(new Recording(s.Info, nan, s.Events, s.Metadata), "S001R04.parquet"), sources[1], sources[2]], targets);
        Assert.StartsWith($"S001R04.parquet: channel '{s.Info.Channels[5]}' has a non-finite value (NaN or infinity) at sample 1000", nonFinite);
    }

    [Fact]
    public async Task SemiSupervisedDannWithoutLabeledTargetEpochsCalibratesAsPlainDann()
    {
        using var dir = TestData.NewTemporaryDirectory();
        using var outcome = await CalibrateNewSubject.RunAsync(
            new CalibrateRequest { Pipeline = Small(), Sources = await Subject("S001"), Targets = await Subject("S002"), Method = "ea_dann_semi_x2", Baselines = false, ModelPath = dir.File("s002.eegdann") },
            NullLogger.Instance);

        Assert.Equal("ea_dann_x2", outcome.Method.Name);
        Assert.Equal("ea_dann_x2", (string)outcome.Report.Json["method"]!);
        Assert.Equal(0, outcome.Kept.Model.Training.TargetLabeledSamples);
        Assert.Equal(45, (int)outcome.Report.Json["target"]!["scored_epochs"]!);
    }

    [Fact]
    public async Task TheSemiSupervisedCaseTrainsOnKLabeledTargetEpochsPerClassAndScoresTheRest()
    {
        var outcome = await CalibrateNewSubject.RunAsync(
            new CalibrateRequest { Pipeline = Small(), Sources = await Subject("S001"), Targets = await Subject("S002"), TargetLabeledPerClass = 5, Baselines = false },
            NullLogger.Instance);
        using (outcome)
        {
            Assert.Equal("ea_dann_semi_x2", outcome.Method.Name);
            var target = outcome.Report.Json["target"]!;
            Assert.Equal(10, (int)target["labeled_epochs_in_training"]!);
            Assert.Equal(35, (int)target["scored_epochs"]!);
            Assert.Equal(10, outcome.Kept.Model.Training.TargetLabeledSamples);
            Assert.NotNull(outcome.Kept.Members[0].Epochs[^1].TargetLabeledLoss);
        }
    }

    [Fact]
    public async Task WithLabeledTargetEpochsTheBaselinesShowThePerSubjectCalibrationOnThemAlone()
    {
        var request = new CalibrateRequest { Pipeline = Small(epochs: 2), Sources = await Subject("S001"), Targets = await Subject("S002"), TargetLabeledPerClass = 5 };
        using (var outcome = await CalibrateNewSubject.RunAsync(request, NullLogger.Instance))
        {
            var within = outcome.Report.Json["methods"]!.AsArray().Single(m => (string)m!["method"]! == "ea_csp_lda_8_30_within")!;
            Assert.Null((string?)within["failure"]);
            Assert.InRange((double)within["accuracy"]!, 0, 1);
            Assert.Contains("alone", (string)within["description"]!, StringComparison.Ordinal);
        }

        using var unlabeled = await CalibrateNewSubject.RunAsync(request with { TargetLabeledPerClass = 0 }, NullLogger.Instance);
        Assert.DoesNotContain(unlabeled.Report.Json["methods"]!.AsArray(), m => ((string)m!["method"]!).EndsWith("_within", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EvaluateRunsLeaveOneSubjectOutOnTheShippedRecordingsAndWritesItsReport()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = dir.File("small.json");
        await File.WriteAllTextAsync(pipeline, Small(epochs: 4).Json);
        var request = new EvaluateRequest(pipeline, TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_source_only", "csp_lda", "ea_dann_x2"], [0, 1], ReportDirectory: dir.File("report"), Parallelism: 2);

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        Assert.Equal(["S001", "S002", "S003", "S004"], result.Subjects);
        Assert.Equal("ea_dann_x2", result.DefaultMethod);
        Assert.Equal(4 * 3 * 2, result.Rows.Count);
        Assert.All(result.Rows, r => Assert.Equal(45, r.ScoredEpochs));
        Assert.All(result.Rows, r => Assert.Equal(3, r.Sources.Count));
        Assert.All(result.Rows, r => Assert.InRange(r.Accuracy, 0, 1));
        Assert.Equal(result.Rows.Where(r => r.Method == "csp_lda").Average(r => r.Accuracy), result.Summary["csp_lda"].Mean, 12);
        // CSP + LDA has no seed: both seeds give the same predictions.
        Assert.All(result.Rows.Where(r => r.Method == "csp_lda").GroupBy(r => r.Target), g => Assert.Single(g.Select(r => r.Accuracy).Distinct()));
        Assert.Equal(4 * 2 * (1 + 2), result.Networks);

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("report/evaluation.json")));
        Assert.Equal("ea_dann_x2", json.RootElement.GetProperty("default_method").GetString());
        Assert.Equal(24, json.RootElement.GetProperty("rows").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("summary").GetProperty("ea_source_only").TryGetProperty("sd", out _));
        string markdown = File.ReadAllText(dir.File("report/evaluation.md"));
        Assert.Contains("| S003 |", markdown);
        Assert.Contains("mean ± sd", markdown);
        Assert.True(new FileInfo(dir.File("report/per-subject.png")).Length > 1000);
        string html = File.ReadAllText(dir.File("report/evaluation.html"));
        Assert.Contains("<td>S003</td>", html);
        Assert.Equal(2, html.Split("src=\"data:image/png;base64,").Length - 1);
    }

    [Fact]
    public async Task PerSubjectFeaturesOfEvaluationEqualTheFeaturesOfAnOrdinaryFit()
    {
        // The cached rows before any standardisation (the runner standardises them per fold): the pipeline without one.
        var definition = Small(perSubject: false);
        var signal = SignalPipeline.Create(definition);
        var s1 = EpochSet.Concat(await Task.WhenAll(Runs.Select(async r => signal.ExtractEpochs(await Shipped("S001", r), $"S001{r}").Epochs)));
        var s2 = EpochSet.Concat(await Task.WhenAll(Runs.Select(async r => signal.ExtractEpochs(await Shipped("S002", r), $"S002{r}").Epochs)));
        var ordinary = FeaturePipeline.Fit(signal, [s1], [s2]);
        var perSubject = FeaturePipeline.FitPerSubject(signal, ordinary.Alignment!.Subjects);
        Assert.Equal(ordinary.FeatureNames, perSubject.FeatureNames);
        Assert.Equal(FeaturePipeline.Transform(definition, ordinary, s2).Values, FeaturePipeline.Transform(definition, perSubject, s2).Values);
        Assert.Equal(FeaturePipeline.Transform(definition, ordinary, s1).Values, FeaturePipeline.Transform(definition, perSubject, s1).Values);
    }
}
