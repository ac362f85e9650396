using System.Globalization;
using EegDann.Core;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.FakeLslOutlet;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static EegDann.TestSupport.LoopbackPorts;

namespace EegDann.Daemon.Tests;

/// <summary>The daemon fed by a Lab Streaming Layer outlet (a fake written from PROTOCOL.md) instead of a replay.</summary>
public sealed class LslSourceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnLslOutletStreamingAShippedRecordingWithItsCuesGivesTheDecisionsOfTheReplayAndRecordsTheCuesAsEvents()
    {
        var recording = TestModels.Read("S002", "R04");
        int basePort = FreePortRange(2);
        await using var eeg = FakeOutlet.Start(RecordingStreamer.EegSettings(recording, "S002R04", basePort: basePort) with { PortRange = 2 });
        await using var cues = FakeOutlet.Start(RecordingStreamer.MarkerSettings("S002R04-cues", basePort: basePort) with { PortRange = 2 });
        using var dir = TestData.NewTemporaryDirectory();
        var observer = new CollectingObserver();
        var settings = Settings(basePort, 2);
        settings["Daemon:Lsl:Stream"] = "name=S002R04";
        settings["Daemon:Lsl:Markers"] = "name=S002R04-cues";
        settings["Daemon:Recorder:Directory"] = dir.Path;
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        settings["Daemon:Decoder:SmoothingAlpha"] = "0.3";
        settings["Daemon:Decoder:DwellSeconds"] = "0.25";

        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            await Eventually(() => eeg.Consumers == 1 && cues.Consumers == 1, "the daemon connected to both outlets");
            await RecordingStreamer.StreamAsync(recording, eeg, cues, speed: 8, chunkSamples: 8, CancellationToken.None);
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually(() => metrics.Samples == recording.SampleCount, "every streamed sample arrived");
            await Eventually(() => metrics.Windows + metrics.FailSafeTotal >= ((recording.SampleCount - 320) / 10) + 1, "every window was decided");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        var metrics = run.Get<DaemonMetrics>();
        Assert.Equal(0, metrics.DroppedTotal);
        Assert.Equal(0, metrics.LslDroppedSamples);
        var online = observer.Seen;
        Assert.All(online, o => Assert.Equal(WindowItemKind.Window, o.Kind));
        var batch = BatchPath.Decide(TestModels.S001ToS002, recording, new DecoderOptions { ConfidenceThreshold = 0.5, SmoothingAlpha = 0.3, DwellSeconds = 0.25 });
        Assert.Equal(batch.Ends, online.Select(o => o.EndSample));
        Assert.Equal(batch.Commands, online.Select(o => o.Decision.Command));
        double worstProbability = 0;
        for (int i = 0; i < online.Count; i++)
        {
            for (int k = 0; k < 2; k++)
            {
                worstProbability = Math.Max(worstProbability, Math.Abs(batch.Probabilities[i][k] - online[i].Probabilities[k]));
            }
        }

        Assert.True(worstProbability <= 1e-5, $"probabilities differ by {worstProbability:E3}");

        // The session recording holds every sample and the cues at their samples.
        var file = Assert.Single(Directory.GetFiles(dir.Path, "*.parquet"), f => !f.EndsWith(".events.parquet", StringComparison.Ordinal));
        var recorded = await ParquetRecordingReader.ReadAsync(file);
        Assert.Equal(recording.SampleCount, recorded.SampleCount);
        Assert.Equal(recording.Samples[recording.Info.IndexOf("C3")], recorded.Samples[recorded.Info.IndexOf("C3")]);
        Assert.Equal(recording.Events.Select(e => (e.Label, e.Sample)), recorded.Events.Select(e => (e.Label, e.Sample)));
        Assert.Equal("S002R04", recorded.Metadata.Extra["lsl.name"]);
        output.WriteLine($"{online.Count} windows over LSL, same commands as the batch path (left {batch.Commands.Count(c => c == "left")}, right {batch.Commands.Count(c => c == "right")}); {recorded.Events.Count} cues recorded; max probability difference {worstProbability:E3}");
    }

    [Fact]
    public async Task AStalledOutletDrivesTheFailSafeWithinTheDaemonsStalenessLimitAndARestartedOneIsFollowed()
    {
        var recording = TestModels.Read("S002", "R04");
        int basePort = FreePortRange(3);
        await using var eeg = FakeOutlet.Start(RecordingStreamer.EegSettings(recording, "Amp", basePort: basePort) with { PortRange = 3 });
        var settings = Settings(basePort, 3);
        settings["Daemon:Lsl:Stream"] = "source_id=Amp_src";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "200";
        settings["Daemon:FailSafe:StaleHeartbeatMilliseconds"] = "100";
        var observer = new CollectingObserver();
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually(() => eeg.Consumers == 1, "the daemon connected");
            double start = EegDann.Lsl.LslClock.Now();
            for (int k = 0; k < 640; k++)
            {
                eeg.Push(Enumerable.Range(0, recording.Info.ChannelCount).Select(c => (double)recording.Samples[c][k]).ToArray(), start + (k / 160.0));
            }

            await Eventually(() => metrics.Samples == 640, "the first samples arrived");

            // Silence: the outlet stops sending but keeps the connection (a frozen amplifier host).
            await Eventually(() => metrics.FailSafeEpisodes(FailSafeReason.Stale) > 0, "a stale fail-safe");
            int port = eeg.DataPort;
            Assert.Equal(1, eeg.Consumers);

            // A restart: new UID, new ports; the daemon finds it again by source_id.
            await eeg.RestartAsync();
            Assert.NotEqual(port, eeg.DataPort);
            await Eventually(() => eeg.Consumers == 1, "the daemon reconnected to the restarted outlet");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("LSL stream connected", StringComparison.Ordinal) && l.Message.Contains("Amp", StringComparison.Ordinal));
        Assert.True(run.Heard.Reasons.ContainsKey("stale"), string.Join(", ", run.Heard.Reasons.Keys));
    }

    [Fact]
    public async Task AnLslSourceWithoutAStreamIsABadSettingNamedOnStart()
    {
        var settings = Settings(FreeUdpPort(), 1);
        settings["Daemon:Lsl:Stream"] = "colour=red";
        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.BadInput);
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("Daemon:Lsl:Stream", StringComparison.Ordinal) && l.Message.Contains("unknown stream property 'colour'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnLslSourceWithNoStreamAtAllIsABadSettingNamingDaemonLslStream()
    {
        var settings = Settings(FreeUdpPort(), 1);
        Assert.False(settings.ContainsKey("Daemon:Lsl:Stream"));
        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.BadInput);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Critical && l.Message.Contains("Daemon:Lsl:Stream is required when the source is Lsl", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMarkerStreamWhoseReaderFailsDegradesTheHealthWhileDecodingGoesOn()
    {
        var recording = TestModels.Read("S002", "R04");
        int basePort = FreePortRange(2);
        await using var eeg = FakeOutlet.Start(RecordingStreamer.EegSettings(recording, "S002R04", basePort: basePort) with { PortRange = 2 });

        // An outlet that answers the feed request with protocol 1.00, as liblsl does after a Value-Size mismatch: the inlet refuses it.
        var refusing = LslCaptures.Load(TestData.TestDataFile("lsl", "liblsl-1.17.5-captures.json")).Get("CapDown");
        await using var cues = FakeOutlet.Start(new FakeOutletSettings { Name = "CapDown", ChannelCount = 2, NominalSrate = 100, SourceId = "CapDown_src", Capture = refusing, BasePort = basePort, PortRange = 2 });
        var settings = Settings(basePort, 2);
        settings["Daemon:Lsl:Stream"] = "name=S002R04";
        settings["Daemon:Lsl:Markers"] = "name=CapDown";
        HealthReport? health = null;
        using var run = await DaemonRunner.RunAsync(settings, null, async host =>
        {
            var monitor = host.Services.GetRequiredService<DaemonHealth>();
            await Eventually(() => monitor.Check().Status == HealthStatus.Degraded, "the health says the markers are lost");
            await Eventually(() => eeg.Consumers == 1, "the daemon connected to the EEG");
            var part = new Recording(recording.Info, recording.Samples.Select(c => c[..1600]).ToArray(), [], recording.Metadata);
            await RecordingStreamer.StreamAsync(part, eeg, null, speed: 8, chunkSamples: 8, CancellationToken.None);
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually(() => metrics.Windows >= ((1600 - 320) / 10) + 1, "every window was decided");
            health = monitor.Check();
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.NotNull(health);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("markers: the marker stream's reader failed", health.Detail, StringComparison.Ordinal);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("decoding goes on without markers", StringComparison.Ordinal) && l.Message.Contains("protocol 1.00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMarkerStreamSelectedAsTheEegStopsTheDaemonAtOnceNamingTheSettingInsteadOfWaitingSilently()
    {
        int basePort = FreePortRange(2);
        await using var cues = FakeOutlet.Start(RecordingStreamer.MarkerSettings("cues-only", basePort: basePort) with { PortRange = 2 });
        var settings = Settings(basePort, 2);
        settings["Daemon:Lsl:Stream"] = "name=cues-only";
        bool stoppedByItself = false;
        using var run = await DaemonRunner.RunAsync(settings, null, async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), lifetime.ApplicationStopping);
            }
            catch (OperationCanceledException)
            {
                stoppedByItself = true;
            }

            lifetime.StopApplication();
        });

        Assert.True(stoppedByItself, "the daemon kept running on a stream it cannot decode");
        run.AssertExit(DaemonExitCode.Fault);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Critical
            && l.Message.Contains("Daemon:Lsl:Stream 'name=cues-only' selects LSL stream cues-only", StringComparison.Ordinal)
            && l.Message.Contains("not a regular numeric stream", StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> Settings(int basePort, int range) => new()
    {
        ["Daemon:Acquisition:Source"] = "Lsl",
        ["Daemon:Acquisition:Subject"] = "S002",
        ["Daemon:Decoder:ModelPath"] = TestModels.S001ToS002,
        ["Daemon:Decoder:WatchModel"] = "false",
        ["Daemon:Metrics:LogIntervalSeconds"] = "3600",

        // A loaded test machine must not turn scheduling pauses into drops or stale input.
        ["Daemon:Buffers:AcquisitionChunks"] = "100000",
        ["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000",
        ["Daemon:FailSafe:StaleHeartbeatMilliseconds"] = "600000",
        ["Lsl:MulticastPort"] = FreeUdpPort().ToString(CultureInfo.InvariantCulture),
        ["Lsl:BasePort"] = basePort.ToString(CultureInfo.InvariantCulture),
        ["Lsl:PortRange"] = range.ToString(CultureInfo.InvariantCulture),
        ["Lsl:ResolveTimeoutSeconds"] = "0.5",
        ["Lsl:ResolveWaveMilliseconds"] = "100",
        ["Lsl:BufferSeconds"] = "300",
        ["Lsl:StaleAfterMilliseconds"] = "600000",
    };

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < limit, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
