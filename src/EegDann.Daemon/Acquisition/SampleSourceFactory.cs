using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Acquisition;

/// <summary>Creates the daemon's source when it starts (register another implementation to plug in a new kind of source).</summary>
public interface ISampleSourceFactory
{
    /// <summary>Creates and opens the source; a bad setting or file fails here, before anything runs.</summary>
    Task<ISampleSource> CreateAsync(CancellationToken cancellationToken);
}

/// <summary>The source <see cref="AcquisitionOptions.Source"/> names, with its section's settings.</summary>
internal sealed class ConfiguredSampleSourceFactory(
    IOptions<AcquisitionOptions> acquisition,
    IOptions<ReplayOptions> replay,
    IOptions<TcpSourceOptions> tcp,
    IOptions<SyntheticSourceOptions> synthetic,
    IOptions<LslSourceOptions> lslSource,
    IOptions<EegDann.Lsl.LslOptions> lsl,
    Monitoring.DaemonMetrics metrics,
    Monitoring.DaemonHealth health,
    ActiveModel models,
    ILoggerFactory loggers) : ISampleSourceFactory
{
    public async Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => acquisition.Value.Source switch
    {
        SourceKind.Replay => await OpenReplayAsync(cancellationToken),
        SourceKind.Tcp => new TcpSource(tcp.Value, metrics, loggers.CreateLogger<TcpSource>()),
        SourceKind.Synthetic => new SyntheticSource(synthetic.Value, models.Current.PipelineSignal.Channels),
        SourceKind.Lsl => new LslSource(lslSource.Value, lsl.Value, metrics, health, loggers.CreateLogger<LslSource>()),
        _ => throw new DaemonSettingsException($"{AcquisitionOptions.SectionName}:Source", AcquisitionOptions.SourceNotSet),
    };

    /// <summary>The replayed file, or a settings error naming <c>Daemon:Replay:Path</c> when it cannot be read.</summary>
    private async Task<ISampleSource> OpenReplayAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReplaySource.OpenAsync(replay.Value, cancellationToken);
        }
        catch (Exception e) when (e is EegDann.Recordings.RecordingFormatException or InvalidDataException)
        {
            throw new DaemonSettingsException($"{ReplayOptions.SectionName}:{nameof(ReplayOptions.Path)}", "cannot be replayed: " + e.Message, e);
        }
    }
}
