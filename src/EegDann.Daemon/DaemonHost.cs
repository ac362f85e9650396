using System.Reflection;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using EegDann.Dsp.Streaming;
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
    /// <summary>The category of the Generic Host's own log events.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

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

        // While starting, the host's own "Hosting failed to start" error (with the exception's stack trace) is left out:
        // RunAsync reports a bad setting or file in one line, and a bug propagates to the caller, which logs it whole.
        // Every filter rule gets the condition, since the rule a provider adds for itself (Serilog's does) wins over a general one.
        var startup = new StartupPhase();
        builder.Services.AddSingleton(startup);
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            var rules = options.Rules.ToArray();
            options.Rules.Clear();
            foreach (var rule in rules)
            {
                options.Rules.Add(new LoggerFilterRule(rule.ProviderName, rule.CategoryName, rule.LogLevel, startup.Quiet(rule.Filter)));
            }

            options.Rules.Add(new LoggerFilterRule(null, null, null, startup.Quiet(null)));
        });
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
        var startup = host.Services.GetService<StartupPhase>();
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
        finally
        {
            startup?.Starting = false;
        }

        await host.WaitForShutdownAsync(cancellationToken);
        var fault = host.Services.GetRequiredService<DaemonFault>();
        if (fault.Exception is not null)
        {
            return DaemonExitCode.Fault;
        }

        // A background service that ended with an exception stopped the host (StopHost) without
        // going through DaemonFault: that is a fault too, never a clean exit a supervisor would
        // not restart.
        foreach (var service in host.Services.GetServices<IHostedService>().OfType<BackgroundService>())
        {
            if (service.ExecuteTask is { IsFaulted: true } task)
            {
                LogServiceCrashed(logger, task.Exception!.GetBaseException(), service.GetType().Name);
                return DaemonExitCode.Fault;
            }
        }

        return DaemonExitCode.Success;
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

    /// <summary>
    /// Whether a start-up failure is the user's to fix (exit 2: a setting, a file, an endpoint) rather than a bug
    /// (which propagates: the CLI logs it with its stack trace and exits 70). Only exceptions that name what the
    /// user gave count; a stray <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/> is a bug.
    /// </summary>
    private static bool IsBadInput(Exception e) =>
        e is OptionsValidationException or DaemonSettingsException or InvalidDataException or IOException or RecordingFormatException
            or ChannelMismatchException or System.Net.Sockets.SocketException or UnauthorizedAccessException
            or EegDann.Model.TorchDeviceException
        || IsBindingFailure(e)
        || (e is AggregateException a && a.InnerExceptions.All(IsBadInput));

    /// <summary>A value the configuration binder cannot convert (e.g. <c>Daemon:Acquisition:Source=Tcpp</c>); its message names the key.</summary>
    private static bool IsBindingFailure(Exception e) =>
        e is InvalidOperationException && e.TargetSite?.DeclaringType == typeof(ConfigurationBinder);

    private static string Describe(Exception e) => e switch
    {
        OptionsValidationException v => string.Join("; ", v.Failures.Select(f => NameTheKey(v.OptionsType, f))),
        AggregateException a => string.Join("; ", a.InnerExceptions.Select(Describe)),
        System.Net.Sockets.SocketException s => $"cannot bind or use a network endpoint: {s.Message}",
        _ => e.Message,
    };

    /// <summary>
    /// A validation failure with its setting key: the generated validators report "Member: message";
    /// this gives "Daemon:Section:Member: message", or the message alone when it already names the section.
    /// </summary>
    private static string NameTheKey(Type optionsType, string failure)
    {
        if (optionsType.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() is not string section)
        {
            return failure;
        }

        int colon = failure.IndexOf(": ", StringComparison.Ordinal);
        string members = colon > 0 ? failure[..colon] : "";
        if (members.Length == 0 || !members.Split(", ").All(m => m.Length > 0 && m.All(char.IsLetterOrDigit)))
        {
            return failure.Contains(section, StringComparison.Ordinal) ? failure : $"{section}: {failure}";
        }

        string message = failure[(colon + 2)..];
        return message.Contains(section, StringComparison.Ordinal)
            ? message
            : string.Join(", ", members.Split(", ").Select(m => $"{section}:{m}")) + ": " + message;
    }

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

    [LoggerMessage(Level = LogLevel.Critical, Message = "The background service {Service} crashed and stopped the daemon")]
    private static partial void LogServiceCrashed(ILogger logger, Exception exception, string service);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The daemon cannot start: {Problem}")]
    private static partial void LogCannotStart(ILogger logger, string problem);

    /// <summary>Whether the host is still starting (its own start-up errors are then not logged; see <see cref="Build"/>).</summary>
    private sealed class StartupPhase
    {
        private volatile bool _starting = true;

        public bool Starting
        {
            get => _starting;
            set => _starting = value;
        }

        /// <summary>A filter that leaves out the host's own events below Critical while starting, then asks <paramref name="inner"/>.</summary>
        public Func<string?, string?, LogLevel, bool> Quiet(Func<string?, string?, LogLevel, bool>? inner) =>
            (provider, category, level) => !(_starting && level < LogLevel.Critical && category == HostCategory) && (inner?.Invoke(provider, category, level) ?? true);
    }
}
