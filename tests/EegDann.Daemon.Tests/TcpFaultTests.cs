using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Processing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

public sealed class TcpFaultTests(ITestOutputHelper output)
{
    private const int Frame = 16;
    private const int Window = 320;

    [Fact]
    public async Task OverTcpNaNBurstsAGapAndAReconnectGiveNoneDuringTheBadStretchesAndCommandsAfterAndTheDaemonKeepsRunning()
    {
        var recording = TestModels.Read("S002", "R04");
        // The client's script (stream indices at 160 Hz):
        //   connection 1: 0..3999 with NaN in C4 over 1008..1055 and +∞ in Pz over 1600..1615,
        //                 samples 2400..2799 never sent (a gap); then it hangs up;
        //   connection 2: a new header, then 4480..6399 (the 480 samples lost while reconnecting are a gap).
        var bad = new List<(long From, long To)> { (1008, 1056), (1600, 1616) };
        var gaps = new List<(long From, long To)> { (2400, 2800), (4000, 4480) };
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Acquisition:Source"] = "Tcp";
        settings["Daemon:Tcp:Listen"] = "127.0.0.1:0";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";

        // Two classes: a threshold of 0.5 gives a command for every clean window once the dwell
        // has passed, so "none" can only come from the fail-safe and its restart of smoothing.
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        bool stillRunningAfterScript = false;
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            var port = ((TcpSource)host.Services.GetRequiredService<SourceRuntime>().Source!).LocalEndpoint.Port;

            await SendAsync(port, recording, 0, 4000, bad, gaps[0]);
            await SendAsync(port, recording, 4480, 6400, [], (0, 0));
            long last = 6400;
            await WaitAsync(() => observer.Seen.Any(o => o.EndSample == last));
            stillRunningAfterScript = !lifetime.ApplicationStopping.IsCancellationRequested;
            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.True(stillRunningAfterScript);
        var seen = observer.Seen;
        Assert.Equal(seen.Select(o => o.EndSample).Order(), seen.Select(o => o.EndSample));
        foreach (var o in seen)
        {
            long end = o.EndSample, start = end - Window;
            bool touchesBad = bad.Any(b => end > b.From && start < b.To);
            bool startsBeforeRestart = gaps.Any(g => end > g.To && start < g.To);
            bool insideGap = gaps.Any(g => end > g.From && end <= g.To);
            Assert.False(insideGap, $"a decision for the window ending at {end}, inside a gap");
            if (touchesBad || startsBeforeRestart)
            {
                Assert.Equal(Decision.NoCommand, o.Decision.Command);
                Assert.NotEqual(FailSafeReason.None, o.Decision.Reason);
                Assert.Empty(o.Decision.Probabilities);
            }
            else
            {
                Assert.Equal(WindowItemKind.Window, o.Kind);
                Assert.Equal(FailSafeReason.None, o.Decision.Reason);
                Assert.Equal(2, o.Decision.Probabilities.Length);
            }
        }

        // Every window position that data reached is decided, and decoding resumed after every bad stretch.
        long expected = Enumerable.Range(0, ((6400 - Window) / 10) + 1).Select(k => Window + (10L * k)).Count(e => !gaps.Any(g => e > g.From && e <= g.To));
        Assert.Equal(expected, seen.Count);
        foreach (var end in bad.Select(b => b.To).Concat(gaps.Select(g => g.To)))
        {
            Assert.Contains(seen, o => o.EndSample >= end + Window && o.EndSample <= end + Window + 20 && o.Kind == WindowItemKind.Window);
        }

        // Commands flow again after every bad stretch (once the policy's dwell has passed).
        foreach (var end in bad.Select(b => b.To).Concat(gaps.Select(g => g.To)))
        {
            Assert.Contains(seen, o => o.EndSample > end + Window && o.EndSample <= end + Window + 200 && o.Decision.Command != Decision.NoCommand);
        }

        var reasons = seen.Where(o => o.Decision.Reason != FailSafeReason.None).GroupBy(o => o.Decision.Reason).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(reasons.ContainsKey(FailSafeReason.NonFinite));
        Assert.True(reasons.ContainsKey(FailSafeReason.Gap));
        var metrics = run.Get<DaemonMetrics>();
        Assert.True(metrics.FailSafeEpisodes(FailSafeReason.NonFinite) >= 2);
        Assert.True(metrics.FailSafeEpisodes(FailSafeReason.Disconnected) >= 1);
        Assert.Equal(seen.Count + 1, run.Heard.Datagrams); // and the stop message
        Assert.Equal(0, run.Heard.SeqGaps);
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("Fail-safe (non_finite)", StringComparison.Ordinal));
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("disconnected", StringComparison.Ordinal));
        output.WriteLine($"{seen.Count} decisions; fail-safe {string.Join(", ", reasons.Select(p => $"{p.Key}={p.Value}"))}; decoded {seen.Count(o => o.Kind == WindowItemKind.Window)}");
    }

    [Fact]
    public async Task ABadHeaderOrAnOversizedFrameClosesOnlyThatConnection()
    {
        var recording = TestModels.Read("S002", "R04");
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Acquisition:Source"] = "Tcp";
        settings["Daemon:Tcp:Listen"] = "127.0.0.1:0";
        settings["Daemon:Tcp:MaxFrameSamples"] = "64";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        string? headerError = null, frameError = null;
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            var port = ((TcpSource)host.Services.GetRequiredService<SourceRuntime>().Source!).LocalEndpoint.Port;
            headerError = await TcpTestClient.SendRawAsync(port, Encoding.UTF8.GetBytes("{\"channels\": [\"C3\"]}\n"));
            var oversized = new List<byte>(Header(recording.Info));
            var frameHeader = new byte[TcpFrameProtocol.FrameHeaderBytes];
            TcpFrameProtocol.WriteFrameHeader(frameHeader, 65, 0);
            oversized.AddRange(frameHeader);
            frameError = await TcpTestClient.SendRawAsync(port, oversized.ToArray());
            await SendAsync(port, recording, 0, 960, [], (0, 0));
            await WaitAsync(() => observer.Seen.Any(o => o.EndSample == 960));
            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains("sample_rate_hz", headerError);
        Assert.Contains("larger than the 64 allowed", frameError);
        Assert.Equal(((960 - Window) / 10) + 1, observer.Seen.Count(o => o.Kind == WindowItemKind.Window));
    }

    private static byte[] Header(SignalInfo info) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { sample_rate_hz = info.SampleRateHz, channels = info.Channels, subject = "S002" }) + "\n");

    /// <summary>Connects, sends the header and frames of <see cref="Frame"/> samples for [from, to), corrupting and skipping as asked, and hangs up.</summary>
    private static async Task SendAsync(int port, Recording recording, long from, long to, IReadOnlyList<(long From, long To)> bad, (long From, long To) skip)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Header(recording.Info));
        int c = recording.Info.ChannelCount;
        int c4 = recording.Info.IndexOf("C4"), pz = recording.Info.IndexOf("Pz");
        var frame = new byte[TcpFrameProtocol.FrameHeaderBytes + (Frame * c * sizeof(float))];
        for (long first = from; first < to; first += Frame)
        {
            if (first >= skip.From && first < skip.To)
            {
                continue;
            }

            var values = SampleChunk.FromChannelMajor(recording.Samples, first, Frame).Samples;
            for (int s = 0; s < Frame; s++)
            {
                long index = first + s;
                if (bad.Count > 0 && index >= bad[0].From && index < bad[0].To)
                {
                    values[(s * c) + c4] = float.NaN;
                }

                if (bad.Count > 1 && index >= bad[1].From && index < bad[1].To)
                {
                    values[(s * c) + pz] = float.PositiveInfinity;
                }
            }

            TcpFrameProtocol.WriteFrameHeader(frame, Frame, first);
            TcpFrameProtocol.WriteSamples(values, frame.AsSpan(TcpFrameProtocol.FrameHeaderBytes));
            await stream.WriteAsync(frame);
        }

        await stream.FlushAsync();
        client.Client.Shutdown(SocketShutdown.Send);
        // Wait for the daemon to close its side: everything sent has been read.
        var sink = new byte[256];
        while (await stream.ReadAsync(sink) > 0)
        {
        }
    }

    private static Task WaitAsync(Func<bool> condition) => Eventually.WaitAsync(condition);
}
