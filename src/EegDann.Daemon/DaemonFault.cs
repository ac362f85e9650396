using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon;

/// <summary>
/// An unrecoverable fault in a stage: logged, remembered for the exit code, and the host is
/// stopped (the control output then goes silent, which the controller treats as stop).
/// </summary>
public sealed partial class DaemonFault
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly Monitoring.DaemonHealth _health;
    private readonly ILogger _logger;
    private Exception? _exception;

    /// <summary>Creates the fault holder.</summary>
    public DaemonFault(IHostApplicationLifetime lifetime, Monitoring.DaemonHealth health, ILogger<DaemonFault> logger)
    {
        _lifetime = lifetime;
        _health = health;
        _logger = logger;
    }

    /// <summary>The first fault, or null.</summary>
    public Exception? Exception => Volatile.Read(ref _exception);

    /// <summary>The stage that faulted first, or null.</summary>
    public string? Stage { get; private set; }

    /// <summary>Reports a fault and stops the host.</summary>
    public void Report(string stage, Exception exception)
    {
        if (Interlocked.CompareExchange(ref _exception, exception, null) == null)
        {
            Stage = stage;
        }

        _health.Report(stage, Monitoring.HealthStatus.Unhealthy, "stopped by a fault: " + exception.Message);
        LogFault(exception, stage);
        _lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Unrecoverable fault in the {Stage} stage; stopping the daemon")]
    private partial void LogFault(Exception exception, string stage);
}
