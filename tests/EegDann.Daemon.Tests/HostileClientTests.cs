using System.Diagnostics;
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

namespace EegDann.Daemon.Tests;

/// <summary>
/// Clients that send what no amplifier bridge would: each must end only its own connection, the
/// next client must be served, and the process must keep running with <c>/health</c> saying ok.
/// </summary>
public sealed class HostileClientTests
{
    private const int Window = 320;

    /// <summary>The bad client's bytes, by case name (theory data must be serialisable).</summary>
    public static TheoryData<string> BadClients => new()
    {
        "invalid utf-8 header",
        "invalid utf-8 in a channel label",
        "10 MB header without newline",
        "non-JSON header then frame bytes in one write",
        "random bytes",
        "first_index near 2^64",
        "first_index near 2^63",
        "sample_rate_hz 1.5e9",
        "sample_rate_hz 1e-300",
        "8000 channels",
        "a 60 kB channel label",
        "ten thousand header members",
    };

    [Theory]
    [MemberData(nameof(BadClients))]
    public async Task AMalformedClientEndsOnlyItsOwnConnectionAndTheNextClientIsServedWhileHealthSaysOk(string badClient)
    {
        var recording = TestModels.Read("S002", "R04");
        var observer = new CollectingObserver();
        var settings = TcpSettings();
        string? answer = null, health = null;
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await Eventually.WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            int port = Port(host);
            answer = await TcpTestClient.SendRawAsync(port, Bad(badClient, recording.Info));
            await SendAsync(port, recording, 0, 960);
            await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 960), "the next client's windows decided");
            health = await HttpAsync(host.Services.GetRequiredService<MetricsHttpService>().Endpoint!, "GET /health HTTP/1.1\r\n\r\n");
            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains("\"error\"", answer);
        Assert.StartsWith("HTTP/1.1 200 OK", health);
        Assert.EndsWith("\r\n\r\nok\n", health);
        Assert.Equal(((960 - Window) / 10) + 1, observer.Seen.Count(o => o.Kind == WindowItemKind.Window && o.Decision.Reason == FailSafeReason.None));
    }

    [Fact]
    public async Task WhenTheListenerDiesTheDaemonStopsWithAFaultAndHealthSaysAcquisitionIsDead()
    {
        var settings = TcpSettings();
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await Eventually.WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            var source = (TcpSource)host.Services.GetRequiredService<SourceRuntime>().Source!;

            // The listening socket closes under the accept loop (as when the network stack fails it).
            await source.DisposeAsync();
            var limit = Stopwatch.StartNew();
            while (!lifetime.ApplicationStopping.IsCancellationRequested && limit.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }

            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Fault);
        var health = run.Get<DaemonHealth>().Check();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("acquisition", health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIdleSecondConnectionIsRefusedAndTheLiveStreamGoesOn()
    {
        var recording = TestModels.Read("S002", "R04");
        var observer = new CollectingObserver();
        var settings = TcpSettings();
        string? refusal = null;
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await Eventually.WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            int port = Port(host);
            using var live = new TcpClient();
            await live.ConnectAsync(IPAddress.Loopback, port);
            var stream = live.GetStream();
            await stream.WriteAsync(Header(recording.Info));
            await WriteFramesAsync(stream, recording, 0, 960);
            await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 960), "the live stream's first windows");

            // A second local client connects and says nothing.
            using var idle = new TcpClient();
            await idle.ConnectAsync(IPAddress.Loopback, port);
            var idleStream = idle.GetStream();
            var answer = new MemoryStream();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await idleStream.CopyToAsync(answer, timeout.Token);
            }

            refusal = Encoding.UTF8.GetString(answer.ToArray());

            // The live stream was not replaced: its next frames are decoded.
            await WriteFramesAsync(stream, recording, 960, 1920);
            await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 1920), "the live stream's later windows");
            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains("another client is streaming", refusal);
        Assert.All(observer.Seen, o => Assert.Equal(FailSafeReason.None, o.Decision.Reason));
        Assert.Equal(((1920 - Window) / 10) + 1, observer.Seen.Count);
    }

    [Fact]
    public async Task TheMetricsEndpointAnswersAHugeRequestLineWith431AndCutsOffASlowClientWith408()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Metrics:RequestTimeoutSeconds"] = "1";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        string? huge = null, slow = null, after = null;
        TimeSpan slowTook = default;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            // 64 MB of request line without a newline: answered after 8 kB (the old endpoint buffered the whole line).
            huge = await SendHttpNoWaitAsync(endpoint, 64 << 20);

            // A client that sends one byte every 200 ms is not waited for beyond the time limit.
            var watch = Stopwatch.StartNew();
            slow = await SlowClientAsync(endpoint);
            slowTook = watch.Elapsed;
            after = await HttpAsync(endpoint, "GET /health HTTP/1.1\r\n\r\n");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.StartsWith("HTTP/1.1 431", huge);
        Assert.True(slowTook < TimeSpan.FromSeconds(10), $"a slow client was served for {slowTook.TotalSeconds:F1} s");
        Assert.StartsWith("HTTP/1.1 408", slow);
        Assert.StartsWith("HTTP/1.1 200 OK", after);
    }

    internal static Dictionary<string, string?> TcpSettings()
    {
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Acquisition:Source"] = "Tcp";
        settings["Daemon:Tcp:Listen"] = "127.0.0.1:0";
        settings["Daemon:Tcp:HeaderTimeoutSeconds"] = "2";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";
        return settings;
    }

    internal static int Port(IHost host) => ((TcpSource)host.Services.GetRequiredService<SourceRuntime>().Source!).LocalEndpoint.Port;

    internal static byte[] Header(SignalInfo info) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { sample_rate_hz = info.SampleRateHz, channels = info.Channels, subject = "S002" }) + "\n");

    private static byte[] Bad(string name, SignalInfo info)
    {
        var frame = new byte[TcpFrameProtocol.FrameHeaderBytes + (16 * info.ChannelCount * sizeof(float))];
        TcpFrameProtocol.WriteFrameHeader(frame, 16, 0);
        string channels = string.Join(", ", info.Channels.Select(c => $"\"{c}\""));
        return name switch
        {
            "invalid utf-8 header" => [.. "{\"sample_rate_hz\": 160, \"channels\": [\"C3\"], \"x\": \""u8, 0xC3, 0x28, 0xFF, .. "\"}\n"u8],
            "invalid utf-8 in a channel label" => [.. "{\"sample_rate_hz\": 160, \"channels\": [\""u8, 0xED, 0xA0, 0x80, .. "\"]}\n"u8],
            "10 MB header without newline" => Enumerable.Repeat((byte)'{', 10 << 20).ToArray(),
            "non-JSON header then frame bytes in one write" => [.. "hello daemon\n"u8, .. frame, .. frame],
            "random bytes" => RandomBytes(),
            "first_index near 2^64" => FrameAt(info, ulong.MaxValue - 3),
            "first_index near 2^63" => FrameAt(info, (ulong)long.MaxValue - 20),
            "sample_rate_hz 1.5e9" => Encoding.UTF8.GetBytes($"{{\"sample_rate_hz\": 1.5e9, \"channels\": [{channels}]}}\n"),
            "sample_rate_hz 1e-300" => Encoding.UTF8.GetBytes($"{{\"sample_rate_hz\": 1e-300, \"channels\": [{channels}]}}\n"),
            "8000 channels" => Encoding.UTF8.GetBytes("{\"sample_rate_hz\": 160, \"channels\": [\"c\"" + string.Concat(Enumerable.Range(0, 8000).Select(i => $",\"{i}\"")) + "]}\n"),
            "a 60 kB channel label" => Encoding.UTF8.GetBytes($"{{\"sample_rate_hz\": 160, \"channels\": [{channels}, \"{new string('x', 60_000)}\"]}}\n"),
            "ten thousand header members" => Encoding.UTF8.GetBytes($"{{\"sample_rate_hz\": 160, \"channels\": [{channels}]" + string.Concat(Enumerable.Range(0, 5000).Select(i => $",\"m{i}\":{i}")) + "}\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such bad client"),
        };
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[200_000];
        new Random(14).NextBytes(bytes);
        return bytes;
    }

    private static byte[] FrameAt(SignalInfo info, ulong first)
    {
        var header = Header(info);
        var frame = new byte[TcpFrameProtocol.FrameHeaderBytes + (16 * info.ChannelCount * sizeof(float))];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame, 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(4), first);
        var second = (byte[])frame.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(second.AsSpan(4), first + 16);
        return [.. header, .. frame, .. second];
    }

    internal static async Task WriteFramesAsync(NetworkStream stream, Recording recording, long from, long to)
    {
        int c = recording.Info.ChannelCount;
        var frame = new byte[TcpFrameProtocol.FrameHeaderBytes + (16 * c * sizeof(float))];
        for (long first = from; first < to; first += 16)
        {
            var values = SampleChunk.FromChannelMajor(recording.Samples, first, 16).Samples;
            TcpFrameProtocol.WriteFrameHeader(frame, 16, first);
            TcpFrameProtocol.WriteSamples(values, frame.AsSpan(TcpFrameProtocol.FrameHeaderBytes));
            await stream.WriteAsync(frame);
        }

        await stream.FlushAsync();
    }

    internal static async Task SendAsync(int port, Recording recording, long from, long to)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Header(recording.Info));
        await WriteFramesAsync(stream, recording, from, to);
        client.Client.Shutdown(SocketShutdown.Send);
        var sink = new byte[256];
        while (await stream.ReadAsync(sink) > 0)
        {
        }
    }

    internal static async Task<string> HttpAsync(IPEndPoint endpoint, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    private static async Task<string> SendHttpNoWaitAsync(IPEndPoint endpoint, int bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        var answer = new MemoryStream();
        var reading = stream.CopyToAsync(answer);
        var block = Encoding.ASCII.GetBytes("GET /" + new string('a', (1 << 16) - 5));
        try
        {
            for (int sent = 0; sent < bytes; sent += block.Length)
            {
                await stream.WriteAsync(block);
            }
        }
        catch (IOException)
        {
            // The daemon stopped reading and closed the connection.
        }

        try
        {
            await reading;
        }
        catch (IOException)
        {
            // Reset after the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }

    private static async Task<string> SlowClientAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        var answer = new MemoryStream();
        var reading = stream.CopyToAsync(answer);
        var request = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: x\r\n");
        try
        {
            for (int i = 0; i < 60 && !reading.IsCompleted; i++)
            {
                await stream.WriteAsync(request.AsMemory(i % request.Length, 1));
                await Task.Delay(200);
            }
        }
        catch (IOException)
        {
            // Closed by the daemon.
        }

        try
        {
            await reading;
        }
        catch (IOException)
        {
            // Reset after the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
