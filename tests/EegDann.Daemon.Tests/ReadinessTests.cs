using System.Diagnostics;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MsHealthStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus;

namespace EegDann.Daemon.Tests;

/// <summary><c>/healthz</c>: ready only once a model is loaded and samples flow (Microsoft.Extensions.Diagnostics.HealthChecks).</summary>
public sealed class ReadinessTests
{
    private static readonly HealthCheckContext Context = new();

    [Fact]
    public async Task WithoutAModelTheModelCheckFailsSayingSo()
    {
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);

        var result = await new ReadinessChecks.ModelLoadedCheck(models).CheckHealthAsync(Context);

        Assert.Equal(MsHealthStatus.Unhealthy, result.Status);
        Assert.Equal("no model loaded yet", result.Description);
    }

    [Fact]
    public async Task SamplesFlowOnlyBetweenTheFirstChunkAndTheStaleLimit()
    {
        var metrics = new DaemonMetrics();
        var check = new ReadinessChecks.DataFlowsCheck(metrics, Microsoft.Extensions.Options.Options.Create(new FailSafeOptions { StaleAfterMilliseconds = 250 }));

        var before = await check.CheckHealthAsync(Context);
        metrics.ChunkArrived(8, Stopwatch.GetTimestamp());
        var flowing = await check.CheckHealthAsync(Context);
        metrics.ChunkArrived(8, Stopwatch.GetTimestamp() - (10 * Stopwatch.Frequency));
        var stale = await check.CheckHealthAsync(Context);

        Assert.Equal((MsHealthStatus.Unhealthy, "no samples received yet"), (before.Status, before.Description));
        Assert.Equal(MsHealthStatus.Healthy, flowing.Status);
        Assert.Equal(MsHealthStatus.Unhealthy, stale.Status);
        Assert.StartsWith("no samples for 10.", stale.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedRecorderDegradesAndADeadStageFailsTheDaemonCheck()
    {
        var health = new DaemonHealth();
        var check = new ReadinessChecks.DaemonPartsCheck(health);

        var ok = await check.CheckHealthAsync(Context);
        health.Report("recorder", Monitoring.HealthStatus.Degraded, "disk full");
        var degraded = await check.CheckHealthAsync(Context);
        health.Report("acquisition", Monitoring.HealthStatus.Unhealthy, "listener died");
        var unhealthy = await check.CheckHealthAsync(Context);

        Assert.Equal(MsHealthStatus.Healthy, ok.Status);
        Assert.Equal((MsHealthStatus.Degraded, "recorder: disk full"), (degraded.Status, degraded.Description));
        Assert.Equal(MsHealthStatus.Unhealthy, unhealthy.Status);
    }

    [Fact]
    public async Task HealthzSaysNotReadyUntilSamplesFlowAndReadyOnceTheyAreDecoded()
    {
        var recording = TestModels.Read("S002", "R04");
        var observer = new CollectingObserver();
        string? before = null, after = null, health = null;
        using var run = await DaemonRunner.RunAsync(HostileClientTests.TcpSettings(), services => services.AddSingleton<IDecodeObserver>(observer), async host =>
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            await Eventually.WaitAsync(() => lifetime.ApplicationStarted.IsCancellationRequested);
            var endpoint = host.Services.GetRequiredService<MetricsHttpService>().Endpoint!;
            before = await HostileClientTests.HttpAsync(endpoint, "GET /healthz HTTP/1.1\r\n\r\n");
            health = await HostileClientTests.HttpAsync(endpoint, "GET /health HTTP/1.1\r\n\r\n");
            await HostileClientTests.SendAsync(HostileClientTests.Port(host), recording, 0, 960);
            await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 960), "the client's windows decided");
            after = await HostileClientTests.HttpAsync(endpoint, "GET /healthz HTTP/1.1\r\n\r\n");
            lifetime.StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.StartsWith("HTTP/1.1 503", before);
        Assert.EndsWith("\r\n\r\nnot ready: data: no samples received yet\n", before);
        Assert.StartsWith("HTTP/1.1 200 OK", health);
        Assert.StartsWith("HTTP/1.1 200 OK", after);
        Assert.EndsWith("\r\n\r\nready\n", after);
    }
}
