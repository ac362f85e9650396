using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.UseCases;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Pipelines.Tests;

/// <summary>Learning curves, holdouts, the sources protocol and executed runs as extra sources, on the shipped recordings.</summary>
public sealed class EvaluationProtocolTests
{
    private static string ExecutedDirectory => TestData.TestDataFile("executed");

    /// <summary>The small filter-bank pipeline, optionally with executed run R03 among the source runs.</summary>
    private static async Task<string> WritePipeline(TemporaryDirectory dir, bool executed = false)
    {
        var json = JsonNode.Parse(CalibrationTests.Small(epochs: 4).Json)!;
        if (executed)
        {
            json["paradigm"]!["source_runs"] = new JsonArray("R03", "R04", "R08", "R12");
            json["paradigm"]!["target_runs"] = new JsonArray("R04", "R08", "R12");
        }

        string path = dir.File(executed ? "small-exec.json" : "small.json");
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    private static void CopySubjects(string to, params string[] subjects)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(TestData.RecordingsDirectory, "*.parquet").Where(f => subjects.Any(s => Path.GetFileName(f).StartsWith(s, StringComparison.Ordinal))))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    [Fact]
    public async Task ALearningCurveScoresEveryLabeledCountOnTheSameEpochsAndDrawsItsFigure()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var request = new EvaluateRequest(await WritePipeline(dir), TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_csp_lda", "ea_source_only"], [0, 1], ReportDirectory: dir.File("report"), Parallelism: 2)
        {
            TargetLabeledCurve = [0, 2, 5],
        };

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        Assert.Equal([0, 2, 5], result.LabeledCounts);
        Assert.Equal(4 * 2 * 2 * 3, result.Rows.Count);
        // Every point is scored on the epochs left after the largest K: 45 − 2·5.
        Assert.All(result.Rows, r => Assert.Equal(35, r.ScoredEpochs));
        Assert.Equal(2 * 3, result.LearningCurve.Count);
        var k0 = result.LearningCurve.Single(p => p.Method == "ea_csp_lda" && p.TargetLabeled == 0);
        Assert.Equal(result.Rows.Where(r => r.Method == "ea_csp_lda" && r.TargetLabeled == 0).Average(r => r.Accuracy), k0.Mean, 12);
        Assert.Equal(result.Summary["ea_csp_lda"].Mean, k0.Mean, 12);
        // The scored epochs are drawn per seed (those after the largest K), and are the same for every K of one seed.
        foreach (var target in result.Subjects)
        {
            var seed0 = result.Rows.Where(r => r.Target == target && r.Seed == 0 && r.Method == "ea_csp_lda").ToArray();
            Assert.Equal(3, seed0.Length);
        }
        Assert.True(new FileInfo(dir.File("report/learning-curve.png")).Length > 1000);
        string markdown = File.ReadAllText(dir.File("report/evaluation.md"));
        Assert.Contains("## Learning curve", markdown);
        Assert.Contains("| ea_csp_lda |", markdown);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("report/evaluation.json")));
        Assert.Equal(3, json.RootElement.GetProperty("learning_curve").GetProperty("ea_source_only").EnumerateObject().Count());
    }

    [Fact]
    public async Task ASemiSupervisedMethodWithNoLabeledEpochIsPlainDannAndEveryMethodKeepsItsOwnRows()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var request = new EvaluateRequest(await WritePipeline(dir), TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_dann", "ea_dann_semi"], [0])
        {
            TargetLabeledCurve = [0, 2],
        };

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        // One row per method, K and target, each named as asked: at K = 0 ea_dann_semi trains as ea_dann, at K = 2 ea_dann as ea_dann_semi.
        Assert.Equal(2 * 2 * 4, result.Rows.Count);
        Assert.All(result.Rows, r => Assert.Null(r.Failure));
        foreach (int k in new[] { 0, 2 })
        {
            var dann = result.Rows.Where(r => r.Method == "ea_dann" && r.TargetLabeled == k).OrderBy(r => r.Target, StringComparer.Ordinal).ToArray();
            var semi = result.Rows.Where(r => r.Method == "ea_dann_semi" && r.TargetLabeled == k).OrderBy(r => r.Target, StringComparer.Ordinal).ToArray();
            Assert.Equal(result.Subjects, dann.Select(r => r.Target));
            Assert.Equal(dann.Select(r => (r.Target, r.Accuracy, r.ScoredEpochs)), semi.Select(r => (r.Target, r.Accuracy, r.ScoredEpochs)));
        }

        Assert.Equal(4, result.LearningCurve.Count);
    }

    [Fact]
    public void LabeledDrawsAreNestedAndTheHoldoutNeverMeetsThem()
    {
        var labels = Enumerable.Range(0, 45).Select(i => i % 3 == 0 ? 1 : 0).ToArray();
        var two = LabeledSelectionOf(labels, 2, 7);
        var five = LabeledSelectionOf(labels, 5, 7);
        Assert.Subset(five.ToHashSet(), two.ToHashSet());
        var shuffled = EegDann.Model.LabeledSelection.ShuffledPerClass(labels, 7);
        var holdout = shuffled.SelectMany(c => c.Skip(c.Length - 3)).ToHashSet();
        Assert.Empty(holdout.Intersect(shuffled.SelectMany(c => c.Take(10))));
        Assert.Equal(6, holdout.Count);
    }

    private static int[] LabeledSelectionOf(int[] labels, int k, int seed) => EegDann.Model.LabeledSelection.PerClass(labels, k, seed).Selected;

    [Fact]
    public async Task AHoldoutIsScoredApartAndChangesNoPredictionOfTheOtherEpochs()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = await WritePipeline(dir);
        var plain = await Evaluate.RunAsync(new EvaluateRequest(pipeline, TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_csp_lda", "ea_ts_lr", "ea_source_only"], [0], TargetLabeledPerClass: 2), NullLogger.Instance);
        var held = await Evaluate.RunAsync(
            new EvaluateRequest(pipeline, TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_csp_lda", "ea_ts_lr", "ea_source_only"], [0], TargetLabeledPerClass: 2, ReportDirectory: dir.File("report")) { TargetHoldoutPerClass = 4 },
            NullLogger.Instance);

        Assert.All(held.Rows, r => Assert.Equal(8, r.HoldoutEpochs));
        Assert.All(held.Rows, r => Assert.Equal(45 - 4 - 8, r.ScoredEpochs));
        Assert.All(held.Rows, r => Assert.InRange(r.HoldoutAccuracy, 0, 1));
        Assert.Equal(3, held.HoldoutChecks.Count);
        // The holdout only splits the scoring: the same labeled epochs train the same models, so the
        // scored and held-out epochs together are predicted as without a holdout.
        foreach (var row in held.Rows)
        {
            var without = plain.Rows.Single(r => r.Target == row.Target && r.Method == row.Method);
            double correct = (row.Accuracy * row.ScoredEpochs) + (row.HoldoutAccuracy * row.HoldoutEpochs);
            Assert.Equal(without.Accuracy * without.ScoredEpochs, correct, 9);
        }

        Assert.Contains("## Holdout estimate", File.ReadAllText(dir.File("report/evaluation.md")));
    }

    [Fact]
    public async Task TheSourcesProtocolServesEveryTargetFromTheWholeBank()
    {
        using var dir = TestData.NewTemporaryDirectory();
        CopySubjects(dir.File("bank"), "S001", "S002");
        CopySubjects(dir.File("people"), "S003", "S004");
        var request = new EvaluateRequest(await WritePipeline(dir), dir.File("people"), EvaluationProtocol.Loso, ["ea_csp_lda", "ea_dann"], [0], ReportDirectory: dir.File("report"))
        {
            SourcesDirectory = dir.File("bank"),
        };

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        Assert.Equal(EvaluationProtocol.Sources, result.Protocol);
        Assert.Equal(["S003", "S004"], result.Subjects);
        Assert.Equal(["S001", "S002"], result.SourceSubjects);
        Assert.All(result.Rows, r => Assert.Equal(["S001", "S002"], r.Sources));
        Assert.Equal(2 * 2, result.Rows.Count);
        Assert.Contains("Sources (labeled, a bank serving new people): S001, S002", File.ReadAllText(dir.File("report/evaluation.md")));

        CopySubjects(dir.File("people"), "S002");
        var overlap = await Assert.ThrowsAsync<CalibrationInputException>(() => Evaluate.RunAsync(request, NullLogger.Instance));
        Assert.Contains("S002", overlap.Message);
        await Assert.ThrowsAsync<CalibrationInputException>(() => Evaluate.RunAsync(request with { Protocol = EvaluationProtocol.Pairs }, NullLogger.Instance));
    }

    [Fact]
    public async Task AWithinSubjectMethodIsRefusedWithoutLabeledTargetEpochsAndEmptyAtKZeroOfACurve()
    {
        using var dir = TestData.NewTemporaryDirectory();
        CopySubjects(dir.File("data"), "S001", "S002", "S003");
        var request = new EvaluateRequest(await WritePipeline(dir), dir.File("data"), EvaluationProtocol.Loso, ["ea_csp_lda", "ea_csp_lda_within"], [0]);

        var refused = await Assert.ThrowsAsync<CalibrationInputException>(() => Evaluate.RunAsync(request, NullLogger.Instance));
        Assert.Contains("ea_csp_lda_within", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--target-labeled", refused.Message, StringComparison.Ordinal);

        var result = await Evaluate.RunAsync(request with { TargetLabeledCurve = [0, 5] }, NullLogger.Instance);
        var within = result.Rows.Where(r => r.Method == "ea_csp_lda_within").ToArray();
        Assert.All(within.Where(r => r.TargetLabeled == 0), r => Assert.True(double.IsNaN(r.Accuracy) && r.Failure!.Contains("no labeled target epochs", StringComparison.Ordinal)));
        Assert.All(within.Where(r => r.TargetLabeled == 5), r => Assert.True(double.IsFinite(r.Accuracy) && r.Failure is null));
        Assert.Equal(3, within.Count(r => r.TargetLabeled == 5));
    }

    [Fact]
    public async Task ExecutedRunsJoinTheSourcesButATargetsOwnExecutedRunsAreNeverUsed()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = await WritePipeline(dir, executed: true);
        string[] methods = ["ea_csp_lda", "ea_ts_lr", "ea_csp_lda_8_30", "ea_source_only"];
        var both = await Evaluate.RunAsync(
            new EvaluateRequest(pipeline, TestData.RecordingsDirectory, EvaluationProtocol.Loso, methods, [0]) { MoreDataDirectories = [ExecutedDirectory] },
            NullLogger.Instance);
        CopySubjects(dir.File("exec-s001"));
        File.Copy(Path.Combine(ExecutedDirectory, "S001R03.parquet"), dir.File("exec-s001/S001R03.parquet"));
        File.Copy(Path.Combine(ExecutedDirectory, "S001R03.events.parquet"), dir.File("exec-s001/S001R03.events.parquet"));
        var onlyS001 = await Evaluate.RunAsync(
            new EvaluateRequest(pipeline, TestData.RecordingsDirectory, EvaluationProtocol.Loso, methods, [0]) { MoreDataDirectories = [dir.File("exec-s001")] },
            NullLogger.Instance);

        // The targets are the people with imagery runs; executed runs are never a target.
        Assert.Equal(["S001", "S002", "S003", "S004"], both.Subjects);
        var s002 = both.Rows.Where(r => r.Target == "S002").ToArray();
        Assert.All(s002, r => Assert.Contains("S001+R03", r.Sources));
        Assert.All(s002, r => Assert.DoesNotContain(r.Sources, s => s.StartsWith("S002", StringComparison.Ordinal)));
        Assert.All(both.Rows.Where(r => r.Target == "S003"), r => Assert.Equal(["S001", "S001+R03", "S002", "S002+R03", "S004"], r.Sources));
        // S002's own executed run changes nothing for S002 (never used), but is a source of the others.
        foreach (var row in s002)
        {
            Assert.Equal(onlyS001.Rows.Single(r => r.Target == "S002" && r.Method == row.Method).Accuracy, row.Accuracy);
        }

        Assert.All(onlyS001.Rows.Where(r => r.Target == "S003"), r => Assert.DoesNotContain("S002+R03", r.Sources));
        Assert.All(both.Rows, r => Assert.Equal(45, r.ScoredEpochs));
        Assert.Equal(["R03", "R04", "R08", "R12"], both.Runs.Source);
    }

    [Fact]
    public void SourceAndTargetRunsAreReadAndAnEmptyListBesideAFullOneIsRefused()
    {
        var json = JsonNode.Parse(CalibrationTests.Small().Json)!;
        json["paradigm"]!["source_runs"] = new JsonArray("R03", "R04");
        json["paradigm"]!["target_runs"] = new JsonArray("R04");
        var definition = PipelineDefinitionLoader.Parse(json.ToJsonString(), "runs");
        Assert.Equal(["R03", "R04"], definition.Paradigm.SourceRuns);
        Assert.Equal(["R04"], definition.Paradigm.TargetRuns);
        Assert.True(definition.Paradigm.IsSourceRun("R03"));
        Assert.False(definition.Paradigm.IsTargetRun("R03"));
        Assert.Equal(["R04", "R08", "R12", "R03"], definition.Paradigm.AllRuns);

        json["paradigm"]!["target_runs"] = new JsonArray();
        var problem = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(json.ToJsonString(), "runs"));
        Assert.Contains("target_runs", problem.Message);
    }

    [Fact]
    public void TheOneBandVariantReplacesTheFilterBankByOne8To30HzBandPass()
    {
        var definition = CalibrationTests.Small();
        var oneBand = definition.WithOneBand();
        Assert.Null(oneBand.FilterBank);
        Assert.True(oneBand.IsOneBand);
        Assert.Equal(new BandPassSpecProbe(8, 30, 4), BandPassSpecProbe.Of(oneBand));
        Assert.Same(oneBand, oneBand.WithOneBand());
        // The JSON says what ran.
        var reread = PipelineDefinitionLoader.Parse(oneBand.Json, "one band");
        Assert.True(reread.IsOneBand);
        Assert.Equal(oneBand.Steps.Count, reread.Steps.Count);
    }

    private sealed record BandPassSpecProbe(double Low, double High, int Order)
    {
        public static BandPassSpecProbe Of(PipelineDefinition d) =>
            d.SignalSteps.OfType<Steps.BandPassSpec>().Select(b => new BandPassSpecProbe(b.LowHz, b.HighHz, b.Order)).Single();
    }

    [Fact]
    public async Task TheEvaluationReportComparesTheDefaultWithItsNoAdaptationTwinAndTheBestClassicBaseline()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var request = new EvaluateRequest(await WritePipeline(dir), TestData.RecordingsDirectory, EvaluationProtocol.Loso, ["ea_csp_lda", "ea_ts_lr", "ea_source_only_x2", "ea_dann_x2"], [0], ReportDirectory: dir.File("report"));

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        Assert.Equal(2, result.Comparisons.Count);
        var twin = result.Comparisons[0];
        Assert.Equal(("ea_dann_x2", "ea_source_only_x2"), (twin.Method, twin.Baseline));
        Assert.Equal(4, twin.Differences.Count);
        Assert.Equal(twin.Differences.Count(d => d > 0), twin.Wins);
        string best = result.Summary["ea_csp_lda"].Mean >= result.Summary["ea_ts_lr"].Mean ? "ea_csp_lda" : "ea_ts_lr";
        Assert.Equal(best, result.Comparisons[1].Baseline);
        Assert.InRange(twin.SignTestP, 0, 1);
        Assert.Contains("## Paired comparison", File.ReadAllText(dir.File("report/evaluation.md")));
        Assert.Equal("ea_source_only_x5", CalibrationMethod.Parse("ea_dann_x5").NoAdaptationTwin!.Name);
        Assert.Contains("ea_source_only_x5", Evaluate.DefaultMethods(PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"))));
    }

    [Fact]
    public void SelfTrainingAndHeadRefitAreSuffixesOfANetworkMethodThatItsTwinKeepsAndLabeledEpochsDoNotRename()
    {
        var method = CalibrationMethod.Parse("EA_DANN_ST_REFIT_X5");
        Assert.Equal("ea_dann_st_refit_x5", method.Name);
        Assert.Equal((TrainingMethod.Dann, true, LabelHeadRefitKind.WeightedLogistic, 5), (method.Training, method.SelfTraining, method.Refit, method.Ensemble));
        Assert.Equal("ea_source_only_st_refit_x5", method.NoAdaptationTwin!.Name);
        Assert.Same(method, method.WithTargetLabels(5));
        var refit = CalibrationMethod.Parse("ea_dann_refit");
        Assert.Same(refit, refit.WithTargetLabels(5));
        Assert.Equal("ea_dann_semi_x5", CalibrationMethod.Parse("ea_dann_x5").WithTargetLabels(5).Name);
        Assert.False(CalibrationMethod.Parse("ea_dann_x5").SelfTraining);
        Assert.Null(CalibrationMethod.Parse("ea_dann_x5").Refit);
        Assert.Contains("refitted", method.Description, StringComparison.Ordinal);
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ea_csp_lda_refit"));
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("_refit"));
        // Semi-supervised DANN with no labeled epoch is plain DANN, every other suffix kept; its networks cannot be trained without the labeled epochs a refit needs them out of.
        Assert.Equal("ea_dann_crops_st_ba_x5", CalibrationMethod.Parse("ea_dann_semi_crops_st_ba_x5").WithTargetLabels(0).Name);
        Assert.Equal("ea_dann_semi_x5", CalibrationMethod.Parse("ea_dann_semi_x5").WithTargetLabels(2).Name);
        var semiRefit = Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ea_dann_semi_refit_x5"));
        Assert.Contains("use ea_dann_refit_x5 or ea_dann_semi_x5", semiRefit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BiasAdaptationIsASuffixOfNetworkAndClassicMethodsThatTheTwinKeeps()
    {
        var method = CalibrationMethod.Parse("EA_DANN_BA_X5");
        Assert.Equal(("ea_dann_ba_x5", true, 5), (method.Name, method.BiasAdapted, method.Ensemble));
        Assert.Equal("ea_source_only_ba_x5", method.NoAdaptationTwin!.Name);
        Assert.Equal("ea_dann_semi_ba_x5", method.WithTargetLabels(5).Name);
        Assert.True(method.WithTargetLabels(5).BiasAdapted);
        Assert.Equal("ea_dann_st_refit_ba", CalibrationMethod.Parse("ea_dann_st_refit_ba").Name);
        Assert.Contains("bias re-estimated", method.Description, StringComparison.Ordinal);
        var lr = CalibrationMethod.Parse("ea_ts_lr_ba");
        Assert.Equal(("ea_ts_lr_ba", MethodFamily.TangentSpaceLr, true), (lr.Name, lr.Family, lr.BiasAdapted));
        var csp = CalibrationMethod.Parse("ea_csp_lda_8_30_ba");
        Assert.Equal(("ea_csp_lda_8_30_ba", MethodFamily.CspLda, true, true), (csp.Name, csp.Family, csp.OneBand, csp.BiasAdapted));
        Assert.False(CalibrationMethod.Parse("ea_dann_x5").BiasAdapted);
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("_ba"));
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ts_lr_ba"));
    }
}
