using System.Text.Json;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

public sealed class ReplayCommandTests
{
    private static string Model => TestData.TestDataFile("replay", "s002.eegdann");

    [Fact]
    public async Task ReplayJsonReportsWindowsDecisionsAccuracyAgreementLatencyAndSpeedAndWritesEveryDecision()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string decisions = Path.Combine(dir.Path, "decisions.parquet");
        var run = await EegDannProcess.RunAsync("replay", Path.Combine(TestData.RecordingsDirectory, "S002R08.parquet"), "--model", Model, "--speed", "max", "--out-file", decisions, "--json");
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        int windows = root.GetProperty("windows").GetInt32();
        Assert.True(windows > 1000, $"{windows} windows");
        var counts = root.GetProperty("decisions");
        Assert.Equal(windows, counts.GetProperty("left").GetInt32() + counts.GetProperty("right").GetInt32() + counts.GetProperty("none").GetInt32());
        Assert.Equal(1.0, root.GetProperty("batch_agreement").GetDouble());
        double accuracy = root.GetProperty("accuracy_on_cued_windows").GetDouble();
        Assert.InRange(accuracy, 0.0, 1.0);
        Assert.True(root.GetProperty("cued_windows").GetInt32() > 100);
        Assert.True(root.GetProperty("latency_ms").GetProperty("p99").GetDouble() >= root.GetProperty("latency_ms").GetProperty("p50").GetDouble());
        Assert.True(root.GetProperty("realtime_factor").GetDouble() > 0);

        // The headline factor is signal over processing time; start-up (runtime, model, warm-up) and the batch comparison are apart.
        double processing = root.GetProperty("processing_s").GetDouble(), startup = root.GetProperty("startup_s").GetDouble();
        Assert.True(processing > 0 && startup > 0 && root.GetProperty("comparison_s").GetDouble() > 0);
        Assert.Equal(root.GetProperty("signal_seconds").GetDouble() / processing, root.GetProperty("realtime_factor").GetDouble(), 1e-9);
        Assert.Equal(root.GetProperty("signal_seconds").GetDouble() / (processing + startup), root.GetProperty("realtime_factor_with_startup").GetDouble(), 1e-9);
        Assert.Contains("processing_s", root.GetProperty("timing").GetString());
        Assert.Equal("Fixed", root.GetProperty("recordings")[0].GetProperty("alignment").GetString());

        // The decisions file: one row per window, readable as a feature-less Parquet table.
        Assert.True(File.Exists(decisions));
        await using var stream = File.OpenRead(decisions);
        await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
        Assert.Equal(["recording", "end_sample", "t_ms", "command", "reason", "batch_command", "cue", "latency_ms", "p_left", "p_right"], reader.Schema.DataFields.Select(f => f.Name));
        Assert.Equal(DecisionLogParquet.Format, reader.CustomMetadata["eegdann.format"]);
        using var group = reader.OpenRowGroupReader(0);
        Assert.Equal(windows, group.RowCount);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("0")]
    [InlineData("-2")]
    public async Task ABadSpeedIsRefusedNamingTheOption(string speed)
    {
        var run = await EegDannProcess.RunAsync("replay", Path.Combine(TestData.RecordingsDirectory, "S002R08.parquet"), "--model", Model, "--speed", speed);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--speed", run.StdErr + run.StdOut);
    }

    [Fact]
    public async Task AMissingRecordingIsNamedAndExits2()
    {
        string missing = Path.Combine(TestData.RecordingsDirectory, "S999R04.parquet");
        var run = await EegDannProcess.RunAsync("replay", missing, "--model", Model);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("S999R04.parquet", run.StdErr + run.StdOut);
    }
}
