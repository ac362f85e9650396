using System.Diagnostics;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// The daemon's readiness as Microsoft.Extensions.Diagnostics.HealthChecks checks, served at
/// <c>GET /healthz</c>: ready only once a model is loaded and samples flow, and while no stage has
/// died (<c>/health</c> keeps its own answer: alive, degraded or not).
/// </summary>
internal static class ReadinessChecks
{
    /// <summary>The name of the check that a model is loaded.</summary>
    public const string Model = "model";

    /// <summary>The name of the check that samples arrive.</summary>
    public const string Data = "data";

    /// <summary>The name of the check over the daemon's parts (<see cref="DaemonHealth"/>).</summary>
    public const string Parts = "daemon";

    /// <summary>Registers the three checks.</summary>
    public static IHealthChecksBuilder AddReadinessChecks(this IHealthChecksBuilder builder) =>
        builder
            .AddCheck<ModelLoadedCheck>(Model)
            .AddCheck<DataFlowsCheck>(Data)
            .AddCheck<DaemonPartsCheck>(Parts);

    /// <summary>Healthy once a model is in use.</summary>
    internal sealed class ModelLoadedCheck(ActiveModel models) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return Task.FromResult(HealthCheckResult.Healthy($"model {models.Current.Id}"));
            }
            catch (InvalidOperationException)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("no model loaded yet"));
            }
        }
    }

    /// <summary>Healthy while the newest chunk arrived within the fail-safe's stale limit (<c>Daemon:FailSafe:StaleAfterMilliseconds</c>).</summary>
    internal sealed class DataFlowsCheck(DaemonMetrics metrics, IOptions<FailSafeOptions> failSafe) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            long last = metrics.LastArrival;
            if (last == 0)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("no samples received yet"));
            }

            double ageMs = Stopwatch.GetElapsedTime(last).TotalMilliseconds;
            return Task.FromResult(ageMs <= failSafe.Value.StaleAfterMilliseconds
                ? HealthCheckResult.Healthy("samples flow")
                : HealthCheckResult.Unhealthy($"no samples for {ageMs / 1000:F1} s"));
        }
    }

    /// <summary>The daemon's own parts: degraded while decoding goes on with a failed part (the recorder), unhealthy when a stage died.</summary>
    internal sealed class DaemonPartsCheck(DaemonHealth health) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var report = health.Check();
            return Task.FromResult(report.Status switch
            {
                HealthStatus.Ok => HealthCheckResult.Healthy(report.Detail),
                HealthStatus.Degraded => HealthCheckResult.Degraded(report.Detail),
                _ => HealthCheckResult.Unhealthy(report.Detail),
            });
        }
    }
}
