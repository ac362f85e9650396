using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Monitoring;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Tests.LiveConsole;

public sealed class ConsoleEndpointTests
{
    private static Dictionary<string, string?> LiveReplay(string model)
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), model);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        return settings;
    }

    [Fact]
    public async Task ThePageItsVendoredFilesAndTheEventStreamAreServedFromTheDaemonItself()
    {
        var settings = LiveReplay(TestModels.S001ToS002);
        string page = "", script = "", calibrate = "";
        byte[] uplot = [];
        (string Head, List<string> Frames) events = ("", []);
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            page = Encoding.UTF8.GetString((await ConsoleHttp.GetAsync(endpoint, "/")).Body);
            script = (await ConsoleHttp.GetAsync(endpoint, "/console.js")).Head;
            uplot = (await ConsoleHttp.GetAsync(endpoint, "/vendor/uPlot.iife.min.js")).Body;
            events = await ConsoleHttp.EventsAsync(endpoint, 2);
            calibrate = (await ConsoleHttp.GetAsync(endpoint, "/calibrate", "POST")).Head;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains("<script src=\"vendor/uPlot.iife.min.js\"></script>", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal));
        Assert.DoesNotContain("https://", page);
        Assert.StartsWith("HTTP/1.1 200 OK", script);
        Assert.Contains("Content-Security-Policy: default-src 'self'", script);
        // The embedded uPlot is byte for byte the vendored file whose hash the vendoring script recorded.
        string vendor = TestData.RepositoryRoot + "/src/EegDann.Daemon/LiveConsole/wwwroot/vendor/";
        string expected = File.ReadAllLines(vendor + "vendor.sha256").Single(l => l.EndsWith("uPlot.iife.min.js", StringComparison.Ordinal))[..64];
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(uplot)));
        Assert.Contains("Content-Type: text/event-stream", events.Head);
        Assert.Equal(2, events.Frames.Count);
        using var frame = JsonDocument.Parse(events.Frames[^1]);
        var root = frame.RootElement;
        Assert.Equal("head", root.GetProperty("channels").GetProperty("layout").GetString());
        Assert.Equal(64, root.GetProperty("channels").GetProperty("items").GetArrayLength());
        Assert.Equal(["C3", "Cz", "C4"], root.GetProperty("signal").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("8–30 Hz", root.GetProperty("signal").GetProperty("filter").GetString() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(["left", "right"], root.GetProperty("decisions").GetProperty("classes").EnumerateArray().Select(n => n.GetString()));
        Assert.True(root.GetProperty("decisions").GetProperty("t").GetArrayLength() > 100);
        Assert.Equal(TestModels.S001ToS002, root.GetProperty("model").GetProperty("file").GetString());
        Assert.False(root.GetProperty("control").GetBoolean());
        Assert.StartsWith("HTTP/1.1 403", calibrate);
    }

    [Fact]
    public async Task AStreamThatStartsAndStopsBetweenTwoUpdatesIsShownStoppedWithItsChannels()
    {
        // Two seconds between updates: the whole replay at full speed (about 0.3 s) starts and stops between two.
        // The stop must not hide the stream it ends: the page shows its channels, disconnected.
        var settings = LiveReplay(TestModels.S001ToS002);
        settings["Daemon:Console:UpdatesPerSecond"] = "0.5";
        byte[]? latest = null;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var feed = host.Services.GetRequiredService<ConsoleFeed>();
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            var before = feed.Latest;
            await Eventually.WaitAsync(
                () => feed.Latest is { } frame && !ReferenceEquals(frame, before) && !Connected(frame),
                "a console update after the replay's end");
            latest = feed.Latest;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        using var frame = JsonDocument.Parse(latest!);
        var root = frame.RootElement;
        Assert.Equal("S002", root.GetProperty("stream").GetProperty("subject").GetString());
        Assert.False(root.GetProperty("stream").GetProperty("connected").GetBoolean());
        Assert.Equal("head", root.GetProperty("channels").GetProperty("layout").GetString());
        Assert.Equal(64, root.GetProperty("channels").GetProperty("items").GetArrayLength());
    }

    private static bool Connected(byte[] frame)
    {
        using var document = JsonDocument.Parse(frame);
        return document.RootElement.GetProperty("stream").GetProperty("connected").GetBoolean();
    }

    [Fact]
    public async Task WithControlAllowedPostCalibrateReachesTheCalibrator()
    {
        var settings = LiveReplay(TestModels.S001ToS002);
        settings["Daemon:Console:AllowControl"] = "true";
        string calibrate = "";
        bool control = false;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows > 10 && host.Services.GetRequiredService<ConsoleFeed>().Latest != null, "decoding and a console frame");
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            calibrate = (await ConsoleHttp.GetAsync(endpoint, "/calibrate", "POST")).Head;
            using var state = JsonDocument.Parse((await ConsoleHttp.GetAsync(endpoint, "/api/state")).Body);
            control = state.RootElement.GetProperty("control").GetBoolean();
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        // The calibrator is off in this run: the request gets through to it and it says so.
        Assert.StartsWith("HTTP/1.1 409", calibrate);
        Assert.True(control);
    }

    [Fact]
    public async Task AStalledConsoleDoesNotHoldTheDecoder()
    {
        // Unpaced replay: the decoder runs as fast as it can; a stalled browser must not slow it.
        var settings = LiveReplay(TestModels.S001ToS002);
        settings["Daemon:Console:UpdatesPerSecond"] = "20";
        long dropped = 0;
        int clients = 0;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            var hub = host.Services.GetRequiredService<ConsoleHub>();
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            // A browser that asks for the event stream and then reads nothing: a tiny receive
            // window, so the daemon's socket buffer fills after a few frames.
            using var stalled = new TcpClient { ReceiveBufferSize = 1024 };
            await stalled.ConnectAsync(endpoint);
            await stalled.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            await Eventually.WaitAsync(() => hub.Clients == 1, "the stalled console connected");
            await Eventually.WaitAsync(() => metrics.Windows == 1937 && hub.DroppedFrames > 20, "the whole replay decoded while the console's frames are dropped");
            dropped = hub.DroppedFrames;
            clients = hub.Clients;
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.True(dropped > 20);
        Assert.Equal(1, clients);
        Assert.Equal(0, run.Get<DaemonMetrics>().DroppedTotal);
    }
}
