using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>The two-blob demo through the real command line.</summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task DemoBlobsPrintsBothMethodsTargetAccuraciesAndDrawsThePlot()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string plot = dir.File("blobs.png");

        var run = await EegDannProcess.RunAsync("demo", "blobs", "--seeds", "0", "--json", "--plot", plot);

        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        double sourceOnly = json.RootElement.GetProperty("source_only").GetProperty("target_accuracy").GetDouble();
        double dann = json.RootElement.GetProperty("dann").GetProperty("target_accuracy").GetDouble();
        Assert.InRange(sourceOnly, 0.4, 0.65);
        Assert.InRange(dann, 0.9, 1.0);
        Assert.Equal(0, json.RootElement.GetProperty("seed").GetInt32());
        Assert.Equal(1.5, json.RootElement.GetProperty("data").GetProperty("target_shift")[1].GetDouble());
        Assert.True(new FileInfo(plot).Length > 10_000);
        Assert.Equal(["blobs.png"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AMalformedTargetShiftIsBadInputAndNothingIsWritten()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync("demo", "blobs", "--target-shift", "1.5;x", "--plot", dir.File("p.png"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--target-shift", run.StdErr);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
