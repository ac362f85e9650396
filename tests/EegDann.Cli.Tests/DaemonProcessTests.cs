using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>
/// <c>eegdann daemon</c> as a real child process replaying S002R04 at 20× real time: SIGTERM stops
/// it with exit code 0 and a complete recording of every sample streamed; after a kill -9 the part
/// file is recovered up to its last complete row group.
/// </summary>
public sealed class DaemonProcessTests : IClassFixture<DaemonProcessTests.Model>
{
    private const double RateHz = 160;
    private const int RowGroupSamples = 800; // the recorder's default 5 s at 160 Hz
    private readonly Model _model;

    public DaemonProcessTests(Model model) => _model = model;

    [Fact]
    public async Task SigtermStopsTheDaemonWithExitCode0AndTheRecordingHoldsEverySampleStreamed()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await using var daemon = await DaemonChild.StartAsync(_model.Path, dir.File("rec"));
        await daemon.WaitForDecisionsAsync(300);

        daemon.Signal("TERM");
        int exit = await daemon.WaitForExitAsync();

        Assert.True(exit == 0, daemon.StdErr);
        var recordings = Directory.GetFiles(dir.File("rec"), "*.parquet").Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)).ToArray();
        Assert.Empty(Directory.GetFiles(dir.File("rec"), "*.part"));
        var recorded = await ParquetRecordingReader.ReadAsync(Assert.Single(recordings));
        var original = await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, "S002R04.parquet"));

        // Every decision's window lies inside the recording, and the summary's sample count is the recording's.
        long lastWindowEnd = daemon.LastWindowEndSample();
        Assert.InRange(recorded.SampleCount, lastWindowEnd, original.SampleCount);
        Assert.Contains($"Daemon summary: {recorded.SampleCount} samples", daemon.StdErr, StringComparison.Ordinal);
        Assert.Contains($"recorded {recorded.SampleCount} samples", daemon.StdErr, StringComparison.Ordinal);
        AssertPrefixOf(original, recorded);
        Assert.Equal(0, daemon.SeqGaps);
    }

    [Fact]
    public async Task AfterKill9ThePartFileIsRecoveredUpToItsLastCompleteRowGroup()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await using var daemon = await DaemonChild.StartAsync(_model.Path, dir.File("rec"));

        // Once the recorder has declared two row groups durable (its state file, replaced after
        // each row group reaches the disk), kill it mid-stream.
        string rec = dir.File("rec");
        long durable = 0;
        var limit = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((durable = DurableSamples(rec)) < 2 * RowGroupSamples)
        {
            Assert.True(DateTime.UtcNow < limit, $"the recorder never made two row groups durable:\n{daemon.StdErr}");
            await Task.Delay(20);
        }

        daemon.Signal("KILL");
        int exit = await daemon.WaitForExitAsync();
        Assert.Equal(137, exit);
        durable = Math.Max(durable, DurableSamples(rec));

        string part = Assert.Single(Directory.GetFiles(rec, "*.parquet.part"));
        var recover = await EegDannProcess.RunAsync("recover", part);
        Assert.True(recover.ExitCode == 0, recover.StdErr);
        var recovered = await ParquetRecordingReader.ReadAsync(part[..^".part".Length]);

        // Everything declared durable is there (a row group written after the last declaration may be too), in whole row groups.
        Assert.InRange(recovered.SampleCount, durable, durable + RowGroupSamples);
        Assert.Equal(0, recovered.SampleCount % RowGroupSamples);
        AssertPrefixOf(await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, "S002R04.parquet")), recovered);
    }

    [Fact]
    public async Task AnEnvironmentVariableOverridesTheSettingsAndABadValueStopsTheStartNamingIt()
    {
        var run = await EegDannProcess.RunAsync(
            ["daemon", "--replay", Path.Combine(TestData.RecordingsDirectory, "S002R04.parquet"), "--model", _model.Path],
            new Dictionary<string, string> { ["EEGDANN_Daemon__Decoder__SmoothingAlpha"] = "7" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("SmoothingAlpha", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>Samples the recorder's state file declares durable (0 before the first row group).</summary>
    private static long DurableSamples(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        foreach (var state in Directory.GetFiles(directory, "*.parquet.part.state"))
        {
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(state));
                return json.RootElement.EnumerateObject().Single(p => string.Equals(p.Name, "samples", StringComparison.OrdinalIgnoreCase)).Value.GetInt64();
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Being replaced (atomically): read it again next time.
            }
        }

        return 0;
    }

    private static void AssertPrefixOf(EegDann.Core.Recording original, EegDann.Core.Recording part)
    {
        Assert.Equal(original.Info.Channels, part.Info.Channels);
        for (int c = 0; c < original.Info.ChannelCount; c++)
        {
            Assert.Equal(original.Samples[c].AsSpan(0, (int)part.SampleCount).ToArray(), part.Samples[c]);
        }
    }

    /// <summary>An S001 → S002 model made once by the real calibrate-new-subject command.</summary>
    public sealed class Model : IAsyncLifetime
    {
        private readonly TemporaryDirectory _dir = TestData.NewTemporaryDirectory();

        public string Path => _dir.File("s1s2.eegdann");

        public async Task InitializeAsync()
        {
            string[] runs = ["R04", "R08", "R12"];
            var run = await EegDannProcess.RunAsync([
                "calibrate-new-subject", "--pipeline", System.IO.Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"),
                "--source", .. runs.Select(r => System.IO.Path.Combine(TestData.RecordingsDirectory, $"S001{r}.parquet")),
                "--target", .. runs.Select(r => System.IO.Path.Combine(TestData.RecordingsDirectory, $"S002{r}.parquet")),
                "--model", Path, "--no-baselines"]);
            Assert.True(run.ExitCode == 0, run.StdErr);
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>The daemon as a child process, with a UDP listener for its decisions.</summary>
    private sealed class DaemonChild : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly DecisionListener _decisions;
        private readonly StringBuilder _stderr = new();

        private DaemonChild(Process process, DecisionListener decisions)
        {
            _process = process;
            _decisions = decisions;
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        public string StdErr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public int SeqGaps
        {
            get
            {
                var seq = _decisions.Decisions().Select(d => d.GetProperty("seq").GetInt64()).ToArray();
                return seq.Zip(seq.Skip(1)).Count(p => p.Second != p.First + 1);
            }
        }

        public static Task<DaemonChild> StartAsync(string model, string recordDirectory)
        {
            var decisions = new DecisionListener();
            int port = decisions.Port;
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            foreach (var arg in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "eegdann.dll"), "daemon",
                "--replay", Path.Combine(TestData.RecordingsDirectory, "S002R04.parquet"), "--speed", "20",
                "--model", model, "--udp", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--record", recordDirectory,
            })
            {
                start.ArgumentList.Add(arg);
            }

            return Task.FromResult(new DaemonChild(Process.Start(start)!, decisions));
        }

        /// <summary>Waits until <paramref name="count"/> decisions arrived (not a timing assertion: the limit only ends a broken test).</summary>
        public async Task WaitForDecisionsAsync(int count)
        {
            var limit = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (_decisions.Count < count)
            {
                Assert.False(_process.HasExited, "the daemon stopped early:\n" + StdErr);
                Assert.True(DateTime.UtcNow < limit, $"only {_decisions.Count} of {count} decisions arrived:\n{StdErr}");
                await Task.Delay(20);
            }
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public async Task<int> WaitForExitAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _process.WaitForExitAsync(limit.Token);
            await _decisions.DrainAsync();
            return _process.ExitCode;
        }

        /// <summary>The last sample (exclusive) of the last decided window, from its t_ms.</summary>
        public long LastWindowEndSample()
        {
            double tMs = _decisions.Decisions().Last(d => d.GetProperty("probabilities").EnumerateObject().Any()).GetProperty("t_ms").GetDouble();
            return (long)Math.Round(tMs * RateHz / 1000) + 1;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            await _decisions.DisposeAsync();
            _process.Dispose();
        }
    }
}
