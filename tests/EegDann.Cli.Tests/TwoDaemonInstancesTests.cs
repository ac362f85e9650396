using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>
/// Two decoders side by side on one host, started the way <c>deploy/systemd/eegdann@.service</c>
/// starts them (its ExecStart line with <c>%i</c> filled in and /etc/eegdann pointing at a
/// temporary folder), each from its own <c>appsettings.NAME.json</c>: distinct models, replays,
/// UDP ports, metrics ports and recording folders on loopback.
/// </summary>
public sealed partial class TwoDaemonInstancesTests : IClassFixture<TwoDaemonInstancesTests.Models>
{
    private readonly Models _models;

    public TwoDaemonInstancesTests(Models models) => _models = models;

    [Fact]
    public async Task TwoInstancesOfTheTemplateUnitKeepTheirDecisionsAndRecordingsApart()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string etc = dir.File("etc");
        Directory.CreateDirectory(etc);
        File.Copy(Path.Combine(TestData.RepositoryRoot, "appsettings.json"), Path.Combine(etc, "appsettings.json"));

        // alice: S001 → S002 model decoding S002 run 4; bob: S002 → S001 model decoding S001 run 8.
        var alice = Instance.Create("alice", Path.Combine(dir.File("var"), "alice"), _models.S1ToS2, "S002R04");
        var bob = Instance.Create("bob", Path.Combine(dir.File("var"), "bob"), _models.S2ToS1, "S001R08");
        await using (alice)
        await using (bob)
        {
            alice.WriteSettings(etc);
            bob.WriteSettings(etc);
            string[] execStart = TemplateExecStart();
            alice.Start(execStart, etc);
            bob.Start(execStart, etc);

            // While both run, each answers its own health and metrics endpoint with its own model.
            await alice.WaitForDecisionsAsync(20);
            await bob.WaitForDecisionsAsync(20);
            string aliceModel = alice.ModelIds().Single();
            string bobModel = bob.ModelIds().Single();
            Assert.NotEqual(aliceModel, bobModel);
            foreach (var (instance, model, other) in new[] { (alice, aliceModel, bobModel), (bob, bobModel, aliceModel) })
            {
                Assert.Equal("ok\n", await instance.GetAsync("/health"));
                string metrics = await instance.GetAsync("/metrics");
                Assert.Contains(model, metrics, StringComparison.Ordinal);
                Assert.DoesNotContain(other, metrics, StringComparison.Ordinal);
            }

            // SIGTERM (what systemctl stop sends): both complete their recordings and exit 0.
            alice.Signal("TERM");
            bob.Signal("TERM");
            Assert.True(await alice.WaitForExitAsync() == 0, alice.StdErr);
            Assert.True(await bob.WaitForExitAsync() == 0, bob.StdErr);

            foreach (var (instance, model) in new[] { (alice, aliceModel), (bob, bobModel) })
            {
                // Decisions: one model, one strictly increasing sequence (another daemon's datagrams would repeat
                // numbers). UDP may drop a datagram when the listener is starved on a loaded machine, so a gap is
                // allowed; a repeat or a step back is not.
                Assert.Equal([model], instance.ModelIds());
                var seq = instance.Sequence();
                Assert.True(seq[0] >= 1, $"{instance.Name}: first sequence number {seq[0]}");
                Assert.All(seq.Zip(seq.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{instance.Name}: sequence {pair.First} then {pair.Second}"));

                // The recording folder holds one recording: this instance's own (looped) stream from its first sample.
                string recording = Assert.Single(Directory.GetFiles(instance.RecordDirectory, "*.parquet"), f => !f.EndsWith(".events.parquet", StringComparison.Ordinal));
                Assert.StartsWith(instance.Replay[..4] + "_", Path.GetFileName(recording), StringComparison.Ordinal);
                var recorded = await ParquetRecordingReader.ReadAsync(recording);
                var original = await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, instance.Replay + ".parquet"));
                int n = (int)Math.Min(original.SampleCount, recorded.SampleCount);
                Assert.True(n > 0, instance.StdErr);
                Assert.Equal(original.Samples[0].AsSpan(0, n).ToArray(), recorded.Samples[0].AsSpan(0, n).ToArray());
            }
        }
    }

    [Fact]
    public async Task AnInstanceWithoutItsSettingsFileStopsWithExitCode2NamingTheFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        File.Copy(Path.Combine(TestData.RepositoryRoot, "appsettings.json"), dir.File("appsettings.json"));

        var run = await EegDannProcess.RunAsync("daemon", "--config", dir.File("appsettings.json"), "--instance", "carol");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--instance carol", run.StdErr, StringComparison.Ordinal);
        Assert.Contains(dir.File("appsettings.carol.json"), run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInstanceNameThatIsNotAPlainNameIsRefused()
    {
        var run = await EegDannProcess.RunAsync("daemon", "--instance", "../etc/x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--instance '../etc/x'", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>The template unit's ExecStart, split into words (the unit uses no quoting).</summary>
    private static string[] TemplateExecStart()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "deploy", "systemd", "eegdann@.service"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        string Value(string key) => lines.Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

        // The same restart policy as the single-decoder unit: never restart after bad settings (2).
        Assert.Equal("on-failure", Value("Restart"));
        Assert.Equal(["2"], Value("RestartPreventExitStatus").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("notify", Value("Type"));
        Assert.Equal("/etc/eegdann/appsettings.%i.json", Value("AssertPathExists"));
        return Value("ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Two models made once by the real calibrate-new-subject command: S001 → S002 and S002 → S001.</summary>
    public sealed class Models : IAsyncLifetime
    {
        private readonly TemporaryDirectory _dir = TestData.NewTemporaryDirectory();

        public string S1ToS2 => _dir.File("s1s2.eegdann");

        public string S2ToS1 => _dir.File("s2s1.eegdann");

        public async Task InitializeAsync()
        {
            await CalibrateAsync("S001", "S002", S1ToS2);
            await CalibrateAsync("S002", "S001", S2ToS1);
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
        }

        private static async Task CalibrateAsync(string source, string target, string output)
        {
            string[] runs = ["R04", "R08", "R12"];
            var run = await EegDannProcess.RunAsync([
                "calibrate-new-subject", "--pipeline", Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"),
                "--source", .. runs.Select(r => Path.Combine(TestData.RecordingsDirectory, $"{source}{r}.parquet")),
                "--target", .. runs.Select(r => Path.Combine(TestData.RecordingsDirectory, $"{target}{r}.parquet")),
                "--model", output, "--no-baselines"]);
            Assert.True(run.ExitCode == 0, run.StdErr);
        }
    }

    [GeneratedRegex(@"Metrics at http://(?<endpoint>[0-9.]+:[0-9]+)/metrics")]
    private static partial Regex MetricsLine();

    /// <summary>One daemon instance: its settings, its process, a UDP listener for its decisions.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly DecisionListener _decisions = new();
        private readonly StringBuilder _stderr = new();
        private Process? _process;

        private Instance(string name, string home, string model, string replay)
        {
            Name = name;
            Home = home;
            Model = model;
            Replay = replay;
        }

        public string Name { get; }

        public string Home { get; }

        public string Model { get; }

        public string Replay { get; }

        public string RecordDirectory => Path.Combine(Home, "rec");

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

        public static Instance Create(string name, string home, string model, string replay)
        {
            Directory.CreateDirectory(home);

            // Each instance has its own copy of its model (hot swap replaces that file only).
            string own = Path.Combine(home, "model.eegdann");
            File.Copy(model, own);
            return new Instance(name, home, own, replay);
        }

        /// <summary>Writes <c>appsettings.NAME.json</c>: everything that must differ between instances.</summary>
        public void WriteSettings(string etc)
        {
            int port = _decisions.Port;
            var settings = new
            {
                Daemon = new
                {
                    Acquisition = new { Source = "Replay" },
                    Replay = new { Path = Path.Combine(TestData.RecordingsDirectory, Replay + ".parquet"), Speed = 20.0, Loop = true },
                    Decoder = new { ModelPath = Model },
                    Output = new { Udp = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" },
                    Recorder = new { Directory = RecordDirectory },
                    Metrics = new { Prometheus = "127.0.0.1:0" },
                },
            };
            File.WriteAllText(Path.Combine(etc, $"appsettings.{Name}.json"), JsonSerializer.Serialize(settings));
        }

        /// <summary>Runs the unit's ExecStart with %i = this instance, /etc/eegdann = <paramref name="etc"/>, the built tool for /opt/eegdann/eegdann.</summary>
        public void Start(string[] execStart, string etc)
        {
            Assert.Equal("/opt/eegdann/eegdann", execStart[0]);
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Home,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "eegdann.dll"));
            foreach (string word in execStart.Skip(1))
            {
                start.ArgumentList.Add(word.Replace("%i", Name, StringComparison.Ordinal).Replace("/etc/eegdann", etc, StringComparison.Ordinal));
            }

            _process = Process.Start(start)!;
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

        /// <summary>Waits until <paramref name="count"/> decisions arrived (the limit only ends a broken test).</summary>
        public async Task WaitForDecisionsAsync(int count)
        {
            var limit = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (_decisions.Count < count)
            {
                Assert.False(_process!.HasExited, $"{Name} stopped early:\n{StdErr}");
                Assert.True(DateTime.UtcNow < limit, $"{Name}: only {_decisions.Count} of {count} decisions arrived:\n{StdErr}");
                await Task.Delay(20);
            }
        }

        /// <summary>GET on this instance's metrics endpoint (its port is in its log).</summary>
        public async Task<string> GetAsync(string path)
        {
            var match = MetricsLine().Match(StdErr);
            Assert.True(match.Success, $"{Name} logged no metrics endpoint:\n{StdErr}");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            return await http.GetStringAsync(new Uri($"http://{match.Groups["endpoint"].Value}{path}"));
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process!.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public async Task<int> WaitForExitAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _process!.WaitForExitAsync(limit.Token);
            await _decisions.DrainAsync();
            return _process.ExitCode;
        }

        public string[] ModelIds() => _decisions.Decisions().Select(d => d.GetProperty("model").GetString()!).Distinct().ToArray();

        public List<long> Sequence() => _decisions.Decisions().Select(d => d.GetProperty("seq").GetInt64()).ToList();

        public async ValueTask DisposeAsync()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            await _decisions.DisposeAsync();
            _process?.Dispose();
        }
    }
}
