using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>calibrate-new-subject and evaluate through the real command line.</summary>
public sealed class CalibrateAndEvaluateCommandTests
{
    private static readonly string[] Runs = ["R04", "R08", "R12"];

    private static async Task<string> SmallPipeline(TemporaryDirectory dir)
    {
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")))!;
        json["training"]!["epochs"] = 4;
        json["training"]!["ensemble"] = 2;
        string path = dir.File("small.json");
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    private static IEnumerable<string> Recordings(string subject) => Runs.Select(r => Path.Combine(TestData.RecordingsDirectory, $"{subject}{r}.parquet"));

    [Fact]
    public async Task CalibrateNewSubjectWritesTheModelAndItsReportAndPrintsTheReportAsJson()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string model = dir.File("s002.eegdann");

        var run = await EegDannProcess.RunAsync(["calibrate-new-subject", "--pipeline", await SmallPipeline(dir), "--source", .. Recordings("S001"), "--target", .. Recordings("S002"), "--model", model, "--report", dir.File("report"), "--json"]);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        Assert.Equal("ea_dann_x2", json.RootElement.GetProperty("method").GetString());
        Assert.Equal(8, json.RootElement.GetProperty("methods").GetArrayLength());
        Assert.True(File.Exists(model));
        Assert.All(new[] { "s002.report.json", "s002.report.md", "s002.report.html", "s002.report.methods.png", "s002.report.training.png", "s002.report.features.png" }, f => Assert.True(File.Exists(Path.Combine(dir.File("report"), f)), f));
        Assert.Contains("ea_dann_x2: target accuracy", run.StdErr);
    }

    [Fact]
    public async Task CalibrateNewSubjectWithoutLabeledSourcesExitsWithBadInputAndKeepsTheExistingModel()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string model = dir.File("s002.eegdann");
        await File.WriteAllTextAsync(model, "old model");

        var run = await EegDannProcess.RunAsync(["calibrate-new-subject", "--pipeline", await SmallPipeline(dir), "--source", .. Recordings("S001"), "--target", .. Recordings("S001"), "--model", model]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("subject S001 is the target", run.StdErr);
        Assert.Equal("old model", await File.ReadAllTextAsync(model));
        Assert.Empty(run.StdOut);
    }

    [Fact]
    public async Task SigtermDuringTrainingExitsWith130AndLeavesTheOldModelAndNoOtherFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string model = dir.File("s002.eegdann");
        await File.WriteAllTextAsync(model, "old model");

        // The shipped default pipeline trains long enough for the signal to land mid-training.
        var run = await EegDannProcess.RunAndSignalAsync(
            ["calibrate-new-subject", "--pipeline", Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"), "--source", .. Recordings("S001"), "--target", .. Recordings("S002"), "--model", model],
            when: "train ",
            signal: "TERM");

        Assert.True(run.ExitCode == 130, run.StdErr);
        Assert.Contains("stopped (SIGTERM or Ctrl-C) before the command finished; nothing was written", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("FTL", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
        Assert.Equal("old model", await File.ReadAllTextAsync(model));
        Assert.Equal(["s002.eegdann"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task EvaluatePrintsRowsSummaryAndTheDefaultMethodAsJson()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var run = await EegDannProcess.RunAsync("evaluate", "--pipeline", await SmallPipeline(dir), "--data", TestData.RecordingsDirectory, "--protocol", "pairs",
            "--methods", "ea_source_only,ea_csp_lda", "--seeds", "0", "--json");

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        Assert.Equal("ea_dann_x2", root.GetProperty("default_method").GetString());
        Assert.Equal("pairs", root.GetProperty("protocol").GetString());
        Assert.Equal(4 * 3 * 2, root.GetProperty("rows").GetArrayLength());
        var first = root.GetProperty("rows")[0];
        Assert.Single(first.GetProperty("sources").GetString()!.Split(','));
        Assert.InRange(root.GetProperty("summary").GetProperty("ea_csp_lda").GetProperty("mean").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task EvaluateWithAnUnknownMethodExitsWithBadInput()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var run = await EegDannProcess.RunAsync("evaluate", "--pipeline", await SmallPipeline(dir), "--data", TestData.RecordingsDirectory, "--methods", "telepathy");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown method 'telepathy'", run.StdErr);
    }

    [Fact]
    public async Task EvaluateDrawsALearningCurveWithAHoldoutFromTheCommandLine()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var run = await EegDannProcess.RunAsync("evaluate", "--pipeline", await SmallPipeline(dir), "--data", TestData.RecordingsDirectory,
            "--methods", "ea_csp_lda,ea_ts_lr", "--seeds", "0", "--target-labeled", "0,2", "--target-holdout", "3", "--report", dir.File("report"), "--json");

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        Assert.Equal([0, 2], root.GetProperty("target_labeled_curve").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(3, root.GetProperty("target_holdout_per_class").GetInt32());
        Assert.Equal(4 * 2 * 2, root.GetProperty("rows").GetArrayLength());
        Assert.All(root.GetProperty("rows").EnumerateArray(), r => Assert.Equal(6, r.GetProperty("holdout_epochs").GetInt32()));
        Assert.True(File.Exists(dir.File("report/learning-curve.png")));

        var bad = await EegDannProcess.RunAsync("evaluate", "--pipeline", await SmallPipeline(dir), "--data", TestData.RecordingsDirectory, "--target-labeled", "0,two");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--target-labeled", bad.StdErr);
    }
}
