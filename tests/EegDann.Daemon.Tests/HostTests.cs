using System.Net.Sockets;
using System.Text;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Processing;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Tests;

public sealed class HostTests
{
    [Theory]
    [InlineData("Daemon:Output:Udp", "192.0.2.10:9000", "is not a loopback address")]
    [InlineData("Daemon:Tcp:Listen", "0.0.0.0:8765", "is not a loopback address")]
    [InlineData("Daemon:Metrics:Prometheus", "10.1.2.3:9464", "is not a loopback address")]
    [InlineData("Daemon:Output:Udp", "localhost:70000", "the port must be a number from 1 to 65535")]
    [InlineData("Daemon:Decoder:SmoothingAlpha", "0", "SmoothingAlpha")]
    [InlineData("Daemon:Decoder:ModelPath", "", "ModelPath is required")]
    [InlineData("Daemon:Replay:Speed", "-1", "Speed")]
    public async Task ABadSettingStopsTheStartWithItsNameAndExitCode2(string key, string value, string message)
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings[key] = value;
        using var run = await DaemonRunner.RunAsync(settings, overrideUdp: key != "Daemon:Output:Udp");
        run.AssertExit(DaemonExitCode.BadInput);
        Assert.Contains(run.Logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical && l.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal(0, run.Heard.Datagrams);
    }

    [Fact]
    public async Task ANonLoopbackAddressIsAcceptedWhenTheConfigurationAllowsItWithAWarningInTheLog()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Metrics:Prometheus"] = "0.0.0.0:0";
        settings["Daemon:Metrics:AllowNonLoopback"] = "true";
        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.Success);
        Assert.Contains(run.Logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains("which is not a loopback address", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Daemon:Decoder:ModelPath", "missing.eegdann", "cannot read the model file")]
    [InlineData("Daemon:Replay:Path", "missing.parquet", "missing.parquet")]
    public async Task AMissingFileStopsTheStartWithItsNameAndExitCode2(string key, string value, string message)
    {
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings[key] = dir.File(value);
        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.BadInput);
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AModelFileThatIsNotAModelStopsTheStartWithExitCode2()
    {
        using var dir = TestData.NewTemporaryDirectory();
        await File.WriteAllTextAsync(dir.File("bad.eegdann"), "not a zip");
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Decoder:ModelPath"] = dir.File("bad.eegdann");
        using var run = await DaemonRunner.RunAsync(settings);
        run.AssertExit(DaemonExitCode.BadInput);
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("bad.eegdann", StringComparison.Ordinal) && l.Message.Contains("Not an EegDann model file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenSamplesStopArrivingTheDaemonSendsStaleNoneHeartbeatsUntilTheyFlowAgain()
    {
        var recording = TestModels.Read("S002", "R04");
        var gate = new SemaphoreSlim(0);
        var source = new GatedSource(recording, pauseAt: 3200, gate);
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "100";
        settings["Daemon:FailSafe:StaleHeartbeatMilliseconds"] = "20";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        using var run = await DaemonRunner.RunAsync(settings, services =>
        {
            services.AddSingleton<ISampleSourceFactory>(source);
            services.AddSingleton<IDecodeObserver>(observer);
        }, async host =>
        {
            await Eventually.WaitAsync(() => observer.Seen.Count(o => o.Kind == WindowItemKind.Stale) >= 3, "three stale heartbeats");
            gate.Release();
            await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 6400), "the stream after the pause");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        var seen = observer.Seen;
        // Heartbeats during the pause (more may follow the end of the stream, before the stop).
        var stale = seen.TakeWhile(o => o.EndSample <= 3200).Where(o => o.Kind == WindowItemKind.Stale).ToList();
        Assert.True(stale.Count >= 3);
        Assert.All(stale, o => Assert.Equal(FailSafeReason.Stale, o.Decision.Reason));
        Assert.All(stale, o => Assert.Equal("none", o.Decision.Command));
        Assert.All(stale, o => Assert.False(o.Decision.MeasuresLatency));
        Assert.All(stale, o => Assert.Equal(3200, o.EndSample));
        // Every window position after the pause is decoded: the data itself was clean and contiguous.
        var windowsAfter = seen.Where(o => o.Kind != WindowItemKind.Stale && o.EndSample > 3200).ToList();
        Assert.Equal(Enumerable.Range(1, 320).Select(k => 3200L + (10 * k)), windowsAfter.Select(o => o.EndSample));
        Assert.All(windowsAfter, o => Assert.Equal(WindowItemKind.Window, o.Kind));
        Assert.Contains(run.Messages, m => m.Contains("\"reason\":\"stale\"", StringComparison.Ordinal) && m.Contains("\"latency_ms\":null", StringComparison.Ordinal));
        Assert.True(run.Get<DaemonMetrics>().FailSafeEpisodes(FailSafeReason.Stale) >= 1);
    }

    [Fact]
    public async Task ThePrometheusEndpointServesTheCountersOnLoopback()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Metrics:Prometheus"] = "127.0.0.1:0";
        settings["Daemon:Replay:StopAtEnd"] = "false";
        string? text = null, missing = null, calibrate = null;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            text = await HttpAsync(endpoint, "GET /metrics");
            missing = await HttpAsync(endpoint, "GET /nothing");
            calibrate = await HttpAsync(endpoint, "POST /calibrate");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.StartsWith("HTTP/1.1 200 OK", text);
        Assert.Contains("Content-Type: text/plain; version=0.0.4", text);
        Assert.Contains("\neegdann_windows_decoded_total 1937\n", text);
        Assert.Contains("\neegdann_samples_total 19680\n", text);
        Assert.Contains("eegdann_failsafe_decisions_total{reason=\"non_finite\"} 0", text);
        Assert.Contains("eegdann_dropped_total{buffer=\"acquisition\"} 0", text);
        Assert.Contains("eegdann_decision_latency_seconds{quantile=\"0.99\"}", text);
        Assert.Contains("eegdann_decision_latency_seconds_count", text);
        Assert.Contains("eegdann_decision_latency_histogram_seconds_bucket{le=\"+Inf\"}", text);
        Assert.StartsWith("HTTP/1.1 404", missing);
        // Calibration from HTTP is refused unless Daemon:Console:AllowControl is set.
        Assert.StartsWith("HTTP/1.1 403", calibrate);
    }

    [Fact]
    public async Task AnUnrecoverableFaultStopsTheHostWithExitCode3()
    {
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<ISampleSourceFactory>(new FailingSource()));
        run.AssertExit(DaemonExitCode.Fault);
        Assert.Contains(run.Logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical && l.Message.Contains("acquisition", StringComparison.Ordinal));
    }

    private static async Task<string> HttpAsync(System.Net.IPEndPoint endpoint, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    /// <summary>A live stream that pauses at a sample until released, then goes on to 6400 (faster than real time: the test's buffers hold it all).</summary>
    private sealed class GatedSource(Recording recording, long pauseAt, SemaphoreSlim gate) : ISampleSource, ISampleSourceFactory
    {
        public string Name => "gated";

        public SourcePacing Pacing => SourcePacing.Live;

        public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

        public async IAsyncEnumerable<SourceEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new StreamStarted(new StreamDescription(recording.Info, "gated", "S002"));
            for (long first = 0; first < 6400; first += 10)
            {
                if (first == pauseAt)
                {
                    await gate.WaitAsync(cancellationToken);
                }

                yield return new ChunkArrived(SampleChunk.FromChannelMajor(recording.Samples, first, 10), System.Diagnostics.Stopwatch.GetTimestamp());
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    private sealed class FailingSource : ISampleSource, ISampleSourceFactory
    {
        public string Name => "failing";

        public SourcePacing Pacing => SourcePacing.Live;

        public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

        public async IAsyncEnumerable<SourceEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("the amplifier driver crashed");
#pragma warning disable CS0162 // An iterator needs a yield.
            yield break;
#pragma warning restore CS0162
        }
    }
}
