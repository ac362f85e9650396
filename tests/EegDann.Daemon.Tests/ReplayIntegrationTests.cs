using System.Text.Json;
using DuckDB.NET.Data;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

public sealed class ReplayIntegrationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheHostReplaysAShippedRecordingSendsOneDecisionPerWindowAndRecordsEverySample()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Recorder:Directory"] = dir.Path;
        settings["Daemon:Recorder:RowGroupSeconds"] = "5";
        using var run = await DaemonRunner.RunAsync(settings);

        var recording = TestModels.Read("S002", "R04");
        int windows = ((recording.SampleCount - 320) / 10) + 1;
        run.AssertExit(DaemonExitCode.Success);
        // One decision per window, then the stop message (none, reason stopped).
        Assert.Equal(windows + 1, run.Heard.Datagrams);
        Assert.Equal(1, run.Heard.FirstSeq);
        Assert.Equal(windows + 1, run.Heard.LastSeq);
        Assert.Equal(0, run.Heard.SeqGaps);
        Assert.Equal("stopped", Assert.Single(run.Heard.Reasons).Key);
        Assert.Contains("\"reason\":\"stopped\"", run.Messages[^1], StringComparison.Ordinal);
        var metrics = run.Get<DaemonMetrics>();
        Assert.Equal(windows, metrics.Windows);
        Assert.Equal(0, metrics.DroppedTotal);
        Assert.Equal(recording.SampleCount, metrics.Samples);

        using (var first = JsonDocument.Parse(run.Messages[0]))
        {
            var root = first.RootElement;
            Assert.Equal(1, root.GetProperty("seq").GetInt64());
            Assert.Equal(319 * 1000.0 / 160, root.GetProperty("t_ms").GetDouble());
            Assert.Equal(["left", "right"], root.GetProperty("probabilities").EnumerateObject().Select(p => p.Name));
            Assert.True(root.GetProperty("latency_ms").GetDouble() >= 0);
            Assert.Equal(16, root.GetProperty("model").GetString()!.Length);
            Assert.Contains(root.GetProperty("command").GetString(), new[] { "left", "right", "none" });
        }

        // The session recording: one file holding every sample streamed, readable by DuckDB.
        var files = Directory.GetFiles(dir.Path, "*.parquet").Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)).ToArray();
        Assert.Single(files);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.part"));
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), min(sample), max(sample), sum(\"C3\"::DOUBLE), sum(\"Iz\"::DOUBLE) FROM read_parquet('{files[0]}')";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(recording.SampleCount, reader.GetInt64(0));
        Assert.Equal(0L, reader.GetInt64(1));
        Assert.Equal(recording.SampleCount - 1L, reader.GetInt64(2));
        Assert.Equal(recording.Samples[recording.Info.IndexOf("C3")].Sum(v => (double)v), reader.GetDouble(3), 6);
        Assert.Equal(recording.Samples[recording.Info.IndexOf("Iz")].Sum(v => (double)v), reader.GetDouble(4), 6);
        Assert.Equal(recording.SampleCount, metrics.RecordedSamples);
        output.WriteLine($"{windows} decisions, commands {string.Join(", ", run.Heard.Commands.Select(p => $"{p.Key}={p.Value}"))}; latency p50 {run.Heard.LatencyP50Ms:F3} ms p99 {run.Heard.LatencyP99Ms:F3} ms (unpaced, informational)");
    }

    [Fact]
    public async Task ALongStreamIsRecordedInFilesOfFileMinutesEachContinuingWhereThePreviousEnded()
    {
        // 123 s of signal at 160 Hz in files of 30 s (4800 samples): 4 full files and the rest.
        await AssertRecordedInContinuingFilesAsync(4800, new() { ["Daemon:Recorder:FileMinutes"] = "0.5" });
    }

    [Fact]
    public async Task ALongStreamIsRecordedInFilesOfAtMostMaxRowGroupsPerFileWhateverFileMinutesSays()
    {
        // Files of 7 × 800 = 5600 samples, chunks of 300 split at the bound.
        await AssertRecordedInContinuingFilesAsync(5600, new()
        {
            ["Daemon:Recorder:FileMinutes"] = "0",
            ["Daemon:Recorder:MaxRowGroupsPerFile"] = "7",
            ["Daemon:Replay:ChunkSamples"] = "300",
        });
    }

    /// <summary>Replays S002R04 with the recorder on (5 s row groups): every file but the last holds <paramref name="samplesPerFile"/>, each continues where the previous ended, nothing is lost.</summary>
    private static async Task AssertRecordedInContinuingFilesAsync(int samplesPerFile, Dictionary<string, string?> recorder)
    {
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Recorder:Directory"] = dir.Path;
        settings["Daemon:Recorder:RowGroupSeconds"] = "5";
        foreach (var (key, value) in recorder)
        {
            settings[key] = value;
        }

        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.Success);

        var recording = TestModels.Read("S002", "R04");
        var files = Directory.GetFiles(dir.Path, "*.parquet").Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Empty(Directory.GetFiles(dir.Path, "*.part"));
        Assert.Equal((recording.SampleCount + samplesPerFile - 1) / samplesPerFile, files.Length);
        long next = 0;
        int c3 = recording.Info.IndexOf("C3");
        foreach (string file in files)
        {
            var part = await EegDann.Recordings.Parquet.ParquetRecordingReader.ReadAsync(file);
            Assert.Equal(next.ToString(System.Globalization.CultureInfo.InvariantCulture), part.Metadata.Extra["daemon.first_stream_sample"]);
            Assert.True(part.SampleCount == samplesPerFile || file == files[^1], $"{file}: {part.SampleCount} samples");
            Assert.Equal(recording.Samples[c3].AsSpan((int)next, part.SampleCount).ToArray(), part.Samples[part.Info.IndexOf("C3")]);
            next += part.SampleCount;
        }

        Assert.Equal(recording.SampleCount, next);
        Assert.Equal(recording.SampleCount, run.Get<DaemonMetrics>().RecordedSamples);
        Assert.Equal(0, run.Get<DaemonMetrics>().RecorderLostSamples);
    }

    [Fact]
    public async Task ReplayingARecordingThroughTheDaemonGivesTheWindowsFeaturesAndDecisionsOfTheBatchPath()
    {
        // A threshold of 0.5 lets the argmax through, so both commands and the dwell are exercised.
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        settings["Daemon:Decoder:SmoothingAlpha"] = "0.3";
        settings["Daemon:Decoder:DwellSeconds"] = "0.25";
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer));
        run.AssertExit(DaemonExitCode.Success);
        var online = observer.Seen;
        Assert.All(online, o => Assert.Equal(WindowItemKind.Window, o.Kind));

        var batch = BatchPath.Decide(TestModels.S001ToS002, TestModels.Read("S002", "R04"), new DecoderOptions { ConfidenceThreshold = 0.5, SmoothingAlpha = 0.3, DwellSeconds = 0.25 });
        Assert.Equal(batch.Ends, online.Select(o => o.EndSample));
        double worstFeature = 0, worstProbability = 0;
        for (int i = 0; i < online.Count; i++)
        {
            for (int f = 0; f < batch.Features[i].Length; f++)
            {
                double a = batch.Features[i][f], b = online[i].Input[f];
                worstFeature = Math.Max(worstFeature, Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-300));
            }

            for (int k = 0; k < 2; k++)
            {
                worstProbability = Math.Max(worstProbability, Math.Abs(batch.Probabilities[i][k] - online[i].Probabilities[k]));
            }
        }

        Assert.True(worstFeature <= 1e-9, $"features differ by {worstFeature:E3} (relative)");
        Assert.True(worstProbability <= 1e-5, $"probabilities differ by {worstProbability:E3}");
        Assert.Equal(batch.Commands, online.Select(o => o.Decision.Command));
        Assert.Equal(batch.Commands.Append("none"), run.Messages.Select(m => JsonDocument.Parse(m).RootElement.GetProperty("command").GetString()));
        Assert.Contains("left", batch.Commands);
        Assert.Contains("right", batch.Commands);
        output.WriteLine($"{online.Count} windows: max relative feature difference {worstFeature:E3}, max probability difference {worstProbability:E3}; commands left {batch.Commands.Count(c => c == "left")}, right {batch.Commands.Count(c => c == "right")}, none {batch.Commands.Count(c => c == "none")}");
    }
}
