using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>The files labs already have (XDF, BrainVision) through the real command line: import, then info.</summary>
public sealed class ImportLabFormatsCommandTests
{
    [Fact]
    public async Task EverySharedXdfAndBrainVisionFileIsImportedAndInfoShowsChannelsRatesAndEvents()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string output = Path.Combine(dir.Path, "X");
        var inputs = Directory.GetFiles(TestData.TestDataFile("formats", "xdf"), "*.xdf")
            .Concat(Directory.GetFiles(TestData.TestDataFile("formats", "brainvision"), "*.vhdr"))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(9, inputs.Length);

        var import = await EegDannProcess.RunAsync(["import", .. inputs, "--out", output]);

        Assert.True(import.ExitCode == 0, import.StdErr);
        // (rate, channels, samples, events, first event label) as `info --json` reports them.
        var expected = new Dictionary<string, (double Rate, int Channels, long Samples, int Events, string FirstLabel)>
        {
            ["minimal"] = (10, 3, 9, 8, "<?xml"),
            ["empty_streams"] = (1, 1, 10, 1, "{\"state\": 2}"),
            ["clock_resets"] = (100, 8, 27815, -1, ""),
            ["test"] = (1000, 32, 7900, 14, "New Segment/"),
            ["testv2"] = (1000, 32, 7900, 13, "New Segment/"),
            ["test_units"] = (1000, 32, 7900, 14, "New Segment/"),
            ["test_highpass_hz"] = (1000, 32, 7900, 14, "New Segment/"),
            ["test_partially_disabled_hw_filter"] = (1000, 32, 7900, 14, "New Segment/"),
            ["test_old_layout_latin1_software_filter"] = (250, 29, 251, 2, "New Segment/"),
        };
        foreach (var (name, want) in expected)
        {
            var info = await EegDannProcess.RunAsync("info", Path.Combine(output, name + ".parquet"), "--json");
            Assert.True(info.ExitCode == 0, info.StdErr);
            using var json = JsonDocument.Parse(info.StdOut);
            var root = json.RootElement;
            Assert.Equal(want.Rate, root.GetProperty("sample_rate_hz").GetDouble());
            Assert.Equal(want.Channels, root.GetProperty("channels").GetArrayLength());
            Assert.Equal(want.Samples, root.GetProperty("n_samples").GetInt64());
            var events = root.GetProperty("events");
            if (want.Events >= 0)
            {
                Assert.Equal(want.Events, events.GetArrayLength());
                Assert.StartsWith(want.FirstLabel, events[0].GetProperty("label").GetString());
            }
            else
            {
                Assert.True(events.GetArrayLength() > 100, $"{name}: {events.GetArrayLength()} events");
            }
        }

        var text = await EegDannProcess.RunAsync("info", Path.Combine(output, "test.parquet"));
        Assert.Contains("1000 Hz", text.StdOut);
        Assert.Contains("FP1 FP2 F3", text.StdOut);
        Assert.Contains("Stimulus/S255 × 5", text.StdOut);
    }

    [Fact]
    public async Task StreamOptionPicksTheXdfStreamAndAnUnknownOneFailsNamingTheFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string input = TestData.TestDataFile("formats", "xdf", "empty_streams.xdf");

        var bad = await EegDannProcess.RunAsync("import", input, "--stream", "nope", "--out", dir.Path);

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains($"{input}: no stream is called 'nope' (--stream)", bad.StdErr + bad.StdOut);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task RateAndChannelsOptionsResampleAndSelectAndTheMetadataSaysSo()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string input = TestData.TestDataFile("formats", "brainvision", "test.vhdr");

        var import = await EegDannProcess.RunAsync("import", input, "--rate", "250", "--channels", "FP1,FP2", "--channels", "Cz", "--out", dir.Path);

        Assert.True(import.ExitCode == 0, import.StdErr);
        var info = await EegDannProcess.RunAsync("info", Path.Combine(dir.Path, "test.parquet"), "--json");
        using var json = JsonDocument.Parse(info.StdOut);
        var root = json.RootElement;
        Assert.Equal(250, root.GetProperty("sample_rate_hz").GetDouble());
        Assert.Equal(["FP1", "FP2", "Cz"], root.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(1975, root.GetProperty("n_samples").GetInt64());
        var extra = root.GetProperty("extra");
        Assert.StartsWith("FP1, FP2, Cz from 1000 Hz to 250 Hz by polyphase FIR", extra.GetProperty("resampled_channels").GetString());
        Assert.StartsWith("F3 (1000 Hz), F4 (1000 Hz)", extra.GetProperty("left_out_channels").GetString());
        var stimulus = root.GetProperty("events")[1];
        Assert.Equal(0.486, stimulus.GetProperty("onset_s").GetDouble(), 9);
        Assert.Equal(122, stimulus.GetProperty("sample").GetInt64()); // round(0.486 × 250 = 121.5) to even
    }
}
