using System.Text.Json;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>export-features through the real command line.</summary>
public sealed class ExportFeaturesCommandTests
{
    private static readonly string Pipeline = Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json");

    [Fact]
    public async Task ExportOfTheShippedS001RecordingsWritesFortyFiveRowsAndPrintsAJsonSummary()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string output = dir.File("features.parquet");
        var recordings = new[] { "R04", "R08", "R12" }.Select(r => Path.Combine(TestData.RecordingsDirectory, $"S001{r}.parquet"));

        var run = await EegDannProcess.RunAsync(["export-features", "--pipeline", Pipeline, .. recordings, "--out-file", output, "--json"]);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        Assert.Equal(45, json.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(64, json.RootElement.GetProperty("features").GetInt32());
        var (table, _) = await FeatureTableParquet.ReadAsync(output);
        Assert.Equal(45, table.RowCount);
        Assert.Equal(["S001R04", "S001R08", "S001R12"], table.Rows.Select(r => r.Recording).Distinct());
    }

    [Fact]
    public async Task ARecordingLackingAPipelineChannelExitsWithBadInputNamingTheFileAndChannelAndWritesNothing()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = dir.File("p.json");
        await File.WriteAllTextAsync(pipeline, (await File.ReadAllTextAsync(Pipeline)).Replace("\"Iz\"", "\"Iz\", \"A1\""));
        string output = dir.File("features.parquet");

        var run = await EegDannProcess.RunAsync("export-features", "--pipeline", pipeline, Path.Combine(TestData.RecordingsDirectory, "S001R04.parquet"), "--out-file", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("S001R04.parquet", run.StdErr);
        Assert.Contains("missing channel A1", run.StdErr);
        Assert.False(File.Exists(output));
        Assert.Empty(run.StdOut);
    }
}
