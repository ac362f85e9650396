using System.Globalization;
using System.Text;
using EegDann.Daemon.Replay;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

public sealed class RecordingReplayTests(ITestOutputHelper output)
{
    /// <summary>The pinned model: mi-fb-dann, ea_dann_x5, sources S001/S003/S004, target S002 (see tests/data/replay/README.md).</summary>
    private static string PinnedModel => TestData.TestDataFile("replay", "s002.eegdann");

    private static string Golden => TestData.TestDataFile("replay", "S002R04.decisions.csv");

    [Fact]
    public async Task TheShippedS002R04ReplayedWithThePinnedModelGivesTheGoldenDecisionsWindowForWindow()
    {
        var report = await RecordingReplay.RunAsync(new ReplaySettings(PinnedModel, [TestModels.RecordingPath("S002", "R04")], Speed: 0));
        var result = Assert.Single(report.Recordings);
        Assert.Equal("Fixed", result.Alignment);
        string actual = GoldenText(result);
        if (Environment.GetEnvironmentVariable("EEGDANN_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(Golden, actual);
        }

        string expected = await File.ReadAllTextAsync(Golden);
        if (expected != actual)
        {
            string written = Path.Combine(Path.GetTempPath(), $"S002R04.decisions.{Guid.NewGuid():N}.csv");
            await File.WriteAllTextAsync(written, actual);
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            int first = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
            Assert.Fail($"the decisions differ from {Golden} first at line {first + 1}: expected '{(first < e.Length ? e[first] : "(end)")}', got '{(first < a.Length ? a[first] : "(end)")}' ({e.Length} vs {a.Length} lines); the replay's decisions are in {written}");
        }

        var summary = ReplaySummary.Of(report, "max");
        Assert.Equal(1.0, summary.Total.BatchAgreement);
        Assert.Equal(((19680 - 320) / 10) + 1, summary.Total.Windows);
        output.WriteLine($"S002R04: {summary.Total.Windows} windows, {string.Join(", ", summary.Total.Decisions.Select(p => $"{p.Key} {p.Value}"))}; accuracy on {summary.Total.CuedWindows} cued windows {summary.Total.Accuracy:F3}; {summary.Total.RealtimeFactor:F0}× real time (load {Load()})");
    }

    public static TheoryData<string, string> ShippedRecordings()
    {
        var data = new TheoryData<string, string>();
        foreach (string subject in new[] { "S001", "S002", "S003", "S004" })
        {
            foreach (string run in new[] { "R04", "R08", "R12" })
            {
                data.Add(subject, run);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedRecordings))]
    public async Task EveryShippedRecordingReplaysWithTheBatchPathsDecisionOnEveryWindow(string subject, string run)
    {
        var report = await RecordingReplay.RunAsync(new ReplaySettings(PinnedModel, [TestModels.RecordingPath(subject, run)], Speed: 0));
        var summary = ReplaySummary.Of(report, "max");
        var line = summary.Total;
        Assert.Null(line.BatchNote);
        Assert.True(line.Windows > 1000, $"{line.Windows} windows");
        var disagree = report.Recordings[0].Decisions.Where(d => d.Command != d.BatchCommand).Take(5).Select(d => $"{d.EndSample}: {d.Command} vs {d.BatchCommand}").ToArray();
        Assert.True(line.BatchAgreement == 1.0, $"agreement {line.BatchAgreement}; first differences {string.Join("; ", disagree)}");
        output.WriteLine($"{subject}{run} ({line.Alignment}): {line.Windows} windows, agreement {line.BatchAgreement}, accuracy on {line.CuedWindows} cued windows {line.Accuracy:F3}, {line.RealtimeFactor:F0}× real time (load {Load()})");
    }

    [Theory]
    [InlineData("S002", "Fixed", 0, 0)]
    [InlineData("S003", "FromStream", 7, 11)]
    public async Task AModelStandardisedPerSubjectReplaysWithTheBatchPathsDecisionOnEveryWindow(string subject, string alignment, int alignmentWarmup, int warmup)
    {
        // S002's alignment and statistics are in the model; S003's are both estimated from its stream.
        // A threshold of one half: every window after the warm-up is a command, so every window's class is compared.
        var decoder = new Options.DecoderOptions { ConfidenceThreshold = 0.5 };
        var report = await RecordingReplay.RunAsync(new ReplaySettings(TestModels.StandardizedS001ToS002, [TestModels.RecordingPath(subject, "R04")], Speed: 0, decoder));
        var result = Assert.Single(report.Recordings);
        Assert.Equal(alignment, result.Alignment);
        var summary = ReplaySummary.Of(report, "max");
        Assert.Null(summary.Total.BatchNote);
        var disagree = result.Decisions.Where(d => d.Command != d.BatchCommand).Take(5).Select(d => $"{d.EndSample}: {d.Command} vs {d.BatchCommand}").ToArray();
        Assert.True(summary.Total.BatchAgreement == 1.0, $"agreement {summary.Total.BatchAgreement}; first differences {string.Join("; ", disagree)}");
        // No command while an estimate from the stream warms up, each under its own reason: the alignment's
        // (8 windows, the 8th decided) and then the standardisation's (12 windows, the 12th decided).
        output.WriteLine(string.Join(", ", result.Decisions.Take(14).Select(d => $"{d.Command}/{d.Reason}")));
        Assert.All(result.Decisions.Take(alignmentWarmup), d => Assert.Equal(("none", "alignment_warmup"), (d.Command, d.Reason)));
        Assert.All(result.Decisions.Take(warmup).Skip(alignmentWarmup), d => Assert.Equal(("none", "standardization_warmup"), (d.Command, d.Reason)));
        Assert.DoesNotContain(result.Decisions.Skip(warmup), d => d.Reason is "alignment_warmup" or "standardization_warmup");
        Assert.True(result.Decisions.Count(d => d.Command != "none") > 1000, $"{result.Decisions.Count(d => d.Command != "none")} commands");
        output.WriteLine($"{subject}R04 ({result.Alignment}): {summary.Total.Windows} windows, agreement {summary.Total.BatchAgreement}, {string.Join(", ", summary.Total.Decisions.Select(p => $"{p.Key} {p.Value}"))}");
    }

    [Theory]
    [InlineData("S002", "Fixed")]
    [InlineData("S003", "FromStream")]
    public async Task APacedReplayDecidesWindowByWindowWithTheSameDecisionsAsAtFullSpeed(string subject, string alignment)
    {
        // At 400× real time the 123 s of a recording take 0.31 s, each window decoded as it completes. Paced, an
        // alignment estimated from the stream (S003's, for a model calibrated for S002) recomputes R^-1/2 on a
        // worker thread, as the daemon does;
        // at full speed the path computes it itself: the same probabilities bit for bit, window for window.
        string recording = TestModels.RecordingPath(subject, "R04");
        string model = alignment == "Fixed" ? PinnedModel : TestModels.StandardizedS001ToS002;
        var fast = await RecordingReplay.RunAsync(new ReplaySettings(model, [recording], Speed: 0));
        var paced = await RecordingReplay.RunAsync(new ReplaySettings(model, [recording], Speed: 400));
        Assert.Equal(alignment, paced.Recordings[0].Alignment);
        var a = fast.Recordings[0].Decisions;
        var b = paced.Recordings[0].Decisions;
        Assert.Equal(a.Select(d => (d.EndSample, d.Command, d.Reason)), b.Select(d => (d.EndSample, d.Command, d.Reason)));
        Assert.Equal(a.SelectMany(d => d.Probabilities), b.SelectMany(d => d.Probabilities));
        Assert.All(b, d => Assert.Equal(d.BatchCommand, d.Command));
        double signal = paced.Recordings[0].SignalSeconds, wall = paced.Recordings[0].WallSeconds;
        Assert.True(wall >= signal / 400 * 0.95, $"a replay at 400× took {wall:F2} s for {signal:F1} s of signal");
    }

    [Fact]
    public async Task AReplaySaysWhatItReplaysBeforeTheTimedStreamAndAFailSafeWithoutDetailEndsWithItsSample()
    {
        // The first line goes through the logging sinks before any recording is timed (their first-use costs are
        // not the path's); S003's stream-estimated alignment warms up first, a fail-safe with nothing more to say.
        using var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        await RecordingReplay.RunAsync(new ReplaySettings(TestModels.StandardizedS001ToS002, [TestModels.RecordingPath("S003", "R04")], Speed: 0), loggers);
        var lines = logs.Lines.Select(l => l.Message).ToList();
        int replaying = lines.FindIndex(l => l.StartsWith("Replaying 1 recording(s) with model ", StringComparison.Ordinal) && l.EndsWith(") at full speed", StringComparison.Ordinal));
        int stream = lines.FindIndex(l => l.StartsWith("Stream S003R04.parquet:", StringComparison.Ordinal));
        Assert.True(replaying >= 0 && stream > replaying, string.Join("\n", lines));
        Assert.Contains("Fail-safe (alignment_warmup) from sample 320", lines);
        Assert.DoesNotContain(lines, l => l.EndsWith(": ", StringComparison.Ordinal));
    }

    private static string GoldenText(RecordingReplayResult result)
    {
        var text = new StringBuilder("end_sample,command\n");
        foreach (var d in result.Decisions)
        {
            text.Append(d.EndSample.ToString(CultureInfo.InvariantCulture)).Append(',').Append(d.Command).Append('\n');
        }

        return text.ToString();
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
