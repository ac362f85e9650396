using EegDann.Daemon.Models;
using EegDann.Recordings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon;

/// <summary>How a daemon run ended.</summary>
public enum DaemonExitCode
{
    /// <summary>Stopped when asked (SIGTERM, Ctrl-C, the end of a replay with StopAtEnd).</summary>
    Success = 0,

    /// <summary>It could not start: a setting, the model file, the replayed file or an endpoint is bad (the log names it).</summary>
    BadInput = 2,

    /// <summary>An unrecoverable fault stopped it (the log has the stage and the error).</summary>
    Fault = 3,
}

/// <summary>
/// The daemon as a Generic Host: <see cref="DaemonServiceCollectionExtensions.AddEegDannDaemon"/>
/// behind systemd integration (readiness and stop notifications when run as a service) and a
/// 4-second shutdown budget.
/// </summary>
public static partial class DaemonHost
{
    /// <summary>Time the stages get to drain and the recorder to complete its file on SIGTERM.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Builds the host.</summary>
    /// <param name="configuration">The settings (appsettings.json, environment, command-line overrides), already layered.</param>
    /// <param name="logging">Adds the logging providers (the CLI adds Serilog); none when null.</param>
    /// <param name="services">Further registrations (tests add observers and sources).</param>
    public static IHost Build(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
            ApplicationName = "eegdann-daemon",
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = ShutdownTimeout;
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddEegDannDaemon();
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Runs a built host until it is stopped; returns how it ended.</summary>
    public static async Task<DaemonExitCode> RunAsync(IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EegDann.Daemon");
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception e) when (IsBadInput(e))
        {
            LogCannotStart(logger, Describe(e));
            await StopQuietlyAsync(host);
            return DaemonExitCode.BadInput;
        }

        await host.WaitForShutdownAsync(cancellationToken);
        var fault = host.Services.GetRequiredService<DaemonFault>();
        return fault.Exception is null ? DaemonExitCode.Success : DaemonExitCode.Fault;
    }

    /// <summary>Builds and runs the daemon.</summary>
    public static async Task<DaemonExitCode> RunAsync(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null, CancellationToken cancellationToken = default)
    {
        using var host = Build(configuration, logging, services);
        try
        {
            return await RunAsync(host, cancellationToken);
        }
        finally
        {
            host.Services.GetRequiredService<ActiveModel>().Dispose();
        }
    }

    private static bool IsBadInput(Exception e) =>
        e is OptionsValidationException or InvalidDataException or IOException or RecordingFormatException
            or ArgumentException or System.Net.Sockets.SocketException or InvalidOperationException or UnauthorizedAccessException
        || (e is AggregateException a && a.InnerExceptions.All(IsBadInput));

    private static string Describe(Exception e) => e switch
    {
        OptionsValidationException v => string.Join("; ", v.Failures),
        AggregateException a => string.Join("; ", a.InnerExceptions.Select(Describe)),
        System.Net.Sockets.SocketException s => $"cannot bind or use a network endpoint: {s.Message}",
        _ => e.Message,
    };

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var timeout = new CancellationTokenSource(ShutdownTimeout);
            await host.StopAsync(timeout.Token);
        }
        catch (Exception)
        {
            // Cleaning up after a start that failed: a host whose services were never created
            // cannot stop them, and nothing else is running.
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The daemon cannot start: {Problem}")]
    private static partial void LogCannotStart(ILogger logger, string problem);
}
