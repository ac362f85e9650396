using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Calibration;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using EegDann.Daemon.Processing;
using EegDann.Daemon.Recorder;
using EegDann.Dsp.Alignment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon;

/// <summary>Registers the daemon: its options (bound, validated at start), its stages and their hosted services.</summary>
public static class DaemonServiceCollectionExtensions
{
    /// <summary>
    /// Adds the daemon. Every setting section is bound from configuration and validated when the
    /// host starts (a bad value stops the start with a message naming the setting).
    /// </summary>
    /// <remarks>
    /// Hosted services start in registration order and stop in reverse: the model loads first, the
    /// consumers start before acquisition, and acquisition stops first so that the stages drain
    /// what it received (the recorder completes its file) before they stop.
    /// </remarks>
    public static IServiceCollection AddEegDannDaemon(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        Section<AcquisitionOptions, AcquisitionOptionsValidator>(services, AcquisitionOptions.SectionName);
        Section<ReplayOptions, ReplayOptionsValidator>(services, ReplayOptions.SectionName);
        Section<TcpSourceOptions, TcpSourceOptionsValidator>(services, TcpSourceOptions.SectionName);
        Section<SyntheticSourceOptions, SyntheticSourceOptionsValidator>(services, SyntheticSourceOptions.SectionName);
        Section<LslSourceOptions, LslSourceOptionsValidator>(services, LslSourceOptions.SectionName);
        Section<EegDann.Lsl.LslOptions, EegDann.Lsl.LslOptionsValidator>(services, EegDann.Lsl.LslOptions.SectionName);
        Section<DecoderOptions, DecoderOptionsValidator>(services, DecoderOptions.SectionName);
        Section<FailSafeOptions, FailSafeOptionsValidator>(services, FailSafeOptions.SectionName);
        Section<ControlOutputOptions, ControlOutputOptionsValidator>(services, ControlOutputOptions.SectionName);
        Section<RecorderOptions, RecorderOptionsValidator>(services, RecorderOptions.SectionName);
        Section<CalibratorOptions, CalibratorOptionsValidator>(services, CalibratorOptions.SectionName);
        Section<MetricsOptions, MetricsOptionsValidator>(services, MetricsOptions.SectionName);
        Section<BufferOptions, BufferOptionsValidator>(services, BufferOptions.SectionName);
        Section<RealtimeOptions, RealtimeOptionsValidator>(services, RealtimeOptions.SectionName);
        Section<ConsoleOptions, ConsoleOptionsValidator>(services, ConsoleOptions.SectionName);

        services.AddMetrics();
        services.AddSingleton<DaemonMetrics>();
        services.AddSingleton<PrometheusExport>();
        services.AddSingleton<DaemonHealth>();
        services.AddSingleton<ActiveModel>();
        services.AddSingleton<DaemonPipes>();
        services.AddSingleton<SourceRuntime>();
        services.AddSingleton<DaemonFault>();
        services.TryAddSingleton<ISampleSourceFactory, ConfiguredSampleSourceFactory>();
        // Disposed with the host: it finishes the recomputation under way, then its thread ends.
        services.AddSingleton(_ => new AlignmentWorker("eegdann-alignment"));
        services.AddSingleton(sp => new WindowStage(
            sp.GetRequiredService<ActiveModel>(),
            sp.GetRequiredService<IOptions<FailSafeOptions>>().Value,
            sp.GetRequiredService<IOptions<DecoderOptions>>().Value,
            sp.GetRequiredService<IOptions<AcquisitionOptions>>().Value,
            sp.GetRequiredService<DaemonMetrics>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<WindowStage>>(),
            sp.GetRequiredService<AlignmentWorker>()));
        services.AddSingleton(sp => new DecodeStage(
            sp.GetRequiredService<IOptions<DecoderOptions>>().Value,
            sp.GetRequiredService<ActiveModel>(),
            sp.GetRequiredService<DaemonMetrics>(),
            sp.GetServices<IDecodeObserver>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<DecodeStage>>()));
        services.AddSingleton(sp => new ControlOutput(
            sp.GetRequiredService<IOptions<ControlOutputOptions>>().Value,
            sp.GetRequiredService<DaemonMetrics>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ControlOutput>>()));
        services.AddSingleton<UseCaseSubjectCalibration>();
        services.AddSingleton<ISubjectCalibration>(sp => SubjectCalibrations.Create(
            sp.GetRequiredService<IOptions<CalibratorOptions>>().Value,
            sp.GetRequiredService<SourceRuntime>(),
            sp.GetRequiredService<UseCaseSubjectCalibration>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddSingleton<CalibratorService>();
        services.AddSingleton<ICalibrationTrigger>(sp => sp.GetRequiredService<CalibratorService>());
        services.AddSingleton<ConsoleTap>();
        services.AddSingleton<IDecodeObserver>(sp => sp.GetRequiredService<ConsoleTap>());
        services.AddSingleton<ConsoleHub>();
        services.AddSingleton<ConsoleFeed>();
        services.AddSingleton<ConsoleEndpoint>();
        services.AddHealthChecks().AddReadinessChecks();
        services.AddSingleton<MetricsHttpService>();

        // Start order (stop order is the reverse).
        services.AddHostedService<ModelStartup>();
        services.AddHostedService<MetricsLogService>();
        services.AddHostedService<ControlOutputService>();
        services.AddHostedService<SessionRecorderService>();
        services.AddHostedService<DecodeService>();
        services.AddSingleton<WindowService>();
        services.AddHostedService(sp => sp.GetRequiredService<WindowService>());
        services.AddHostedService<StaleWatchdogService>();
        services.AddHostedService<ModelWatcherService>();
        services.AddHostedService(sp => sp.GetRequiredService<CalibratorService>());
        services.AddHostedService(sp => sp.GetRequiredService<ConsoleFeed>());
        services.AddHostedService(sp => sp.GetRequiredService<MetricsHttpService>());
        services.AddHostedService<AcquisitionService>();
        return services;
    }

    private static void Section<TOptions, TValidator>(IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
