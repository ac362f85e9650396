using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EegDann.Core;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Lsl;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// A Lab Streaming Layer inlet as the daemon's source (managed, no liblsl): follows the EEG stream
/// the settings select (<see cref="LslStreamFollower"/>: resolve, reconnect by <c>source_id</c>
/// after an outlet restart, drop a silent connection) and, when configured, a marker stream whose
/// samples become <see cref="MarkerArrived"/> events at the EEG sample with the nearest corrected
/// time stamp. Values are converted to µV from the outlet's channel units. Windows are still cut
/// by sample count; LSL time stamps only feed monitoring (sample age) and marker placement.
/// </summary>
public sealed partial class LslSource : ISampleSource
{
    private readonly LslOptions _lsl;
    private readonly LslStreamSelector _eeg;
    private readonly LslStreamSelector? _markers;
    private readonly DaemonMetrics? _metrics;
    private readonly DaemonHealth? _health;
    private readonly ILogger _logger;
    private readonly object _anchorGate = new();
    private (long Index, double LocalTime, double Rate)? _anchor;

    /// <summary>Creates the source (nothing is resolved until it is read).</summary>
    /// <param name="source">Which streams (<c>Daemon:Lsl</c>).</param>
    /// <param name="lsl">How to find and read them (<c>Lsl</c>).</param>
    /// <param name="metrics">Receives sample age and dropped samples, or null.</param>
    /// <param name="health">Told when the marker stream's reader fails (decoding goes on without markers), or null.</param>
    /// <param name="logger">The log.</param>
    /// <exception cref="DaemonSettingsException">When no EEG stream is named (<c>Daemon:Lsl:Stream</c>).</exception>
    public LslSource(LslSourceOptions source, LslOptions lsl, DaemonMetrics? metrics, DaemonHealth? health, ILogger<LslSource> logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(lsl);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(source.Stream))
        {
            throw new DaemonSettingsException($"{LslSourceOptions.SectionName}:Stream", "is required when the source is Lsl (--lsl name=NAME, type=TYPE or source_id=ID).");
        }

        _eeg = LslStreamSelector.Parse(source.Stream);
        _markers = string.IsNullOrWhiteSpace(source.Markers) ? null : LslStreamSelector.Parse(source.Markers);
        _lsl = lsl;
        _metrics = metrics;
        _health = health;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name => $"lsl {_eeg}" + (_markers is null ? string.Empty : $" with markers {_markers}");

    /// <inheritdoc />
    public SourcePacing Pacing => SourcePacing.Live;

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The EEG and the marker stream are read by their own tasks; their events meet here.
        var events = Channel.CreateBounded<SourceEvent>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = false });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var eeg = EndsTheSource(PumpEegAsync(events.Writer, stop.Token), events.Writer, stop.Token);
        var markers = _markers is null ? Task.CompletedTask : DegradesWithoutMarkers(PumpMarkersAsync(_markers, events.Writer, stop.Token), stop.Token);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Quietly(eeg);
            await Quietly(markers);
        }
    }

    private async Task PumpEegAsync(ChannelWriter<SourceEvent> events, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var follower = new LslStreamFollower(_lsl, _eeg, line => LogLsl(line));
        bool started = false;
        double rate = 0;
        await foreach (var e in follower.ReadAsync(cancellationToken))
        {
            switch (e)
            {
                case LslConnected c:
                    if (c.Info.ChannelFormat == LslChannelFormat.String || !c.Info.IsRegular)
                    {
                        throw new DaemonSettingsException($"{LslSourceOptions.SectionName}:Stream", $"'{_eeg}' selects LSL stream {c.Info}, which is not a regular numeric stream (EEG); select the EEG stream there and name marker streams in {LslSourceOptions.SectionName}:Markers.");
                    }

                    var notVoltage = c.Units.Where((u, i) => c.MicrovoltsPerUnit[i] is null).Distinct().ToList();
                    if (notVoltage.Count > 0)
                    {
                        LogNotVoltage(c.Info.Name, string.Join(", ", notVoltage));
                    }

                    rate = c.Info.NominalSrate;
                    var properties = new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["lsl.name"] = c.Info.Name,
                        ["lsl.type"] = c.Info.Type,
                        ["lsl.source_id"] = c.Info.SourceId,
                        ["lsl.uid"] = c.Info.Uid,
                        ["lsl.hostname"] = c.Info.Hostname,
                        ["lsl.channel_format"] = c.Info.ChannelFormat.Name(),
                        ["lsl.channel_units"] = string.Join(",", c.Units),
                        ["lsl.reconnections"] = follower.Reconnections.ToString(CultureInfo.InvariantCulture),
                    };
                    await events.WriteAsync(new StreamStarted(new StreamDescription(new SignalInfo(c.Info.NominalSrate, c.Labels), $"lsl {c.Info.Name} at {c.Info.Address}:{c.Info.DataPort}", null, properties)), cancellationToken);
                    started = true;
                    break;
                case LslSamples s when started:
                    double correction = s.TimeCorrection?.Correction ?? 0;
                    double lastLocal = s.Timestamps[^1] + correction;
                    lock (_anchorGate)
                    {
                        _anchor = (s.FirstIndex + s.Count - 1, lastLocal, rate);
                    }

                    _metrics?.LslSourceUpdated(follower.SampleAgeSeconds, follower.DroppedSamples);
                    await events.WriteAsync(new ChunkArrived(new SampleChunk(s.FirstIndex, s.Values.Length / s.Count, s.Count, s.Values), s.ReceivedAt, lastLocal), cancellationToken);
                    break;
                case LslDisconnected d when started:
                    await events.WriteAsync(new StreamStopped(d.Reason), cancellationToken);
                    break;
            }
        }
    }

    private async Task PumpMarkersAsync(LslStreamSelector selector, ChannelWriter<SourceEvent> events, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var follower = new LslStreamFollower(_lsl, selector, line => LogLsl("markers: " + line));
        var pending = new List<(double LocalTime, string Label)>();
        await foreach (var e in follower.ReadAsync(cancellationToken))
        {
            if (e is not LslSamples s)
            {
                continue;
            }

            int channels = s.Strings != null ? s.Strings.Length / s.Count : s.Values.Length / s.Count;
            for (int k = 0; k < s.Count; k++)
            {
                string label = s.Strings != null ? s.Strings[k * channels] : s.Values[k * channels].ToString(CultureInfo.InvariantCulture);
                pending.Add((s.Timestamps[k] + (s.TimeCorrection?.Correction ?? 0), label));
            }

            (long Index, double LocalTime, double Rate)? anchor;
            lock (_anchorGate)
            {
                anchor = _anchor;
            }

            if (anchor is null)
            {
                // No EEG sample yet to place them against: they wait for one.
                continue;
            }

            foreach (var (localTime, label) in pending)
            {
                long sample = anchor.Value.Index + (long)Math.Round((localTime - anchor.Value.LocalTime) * anchor.Value.Rate);
                await events.WriteAsync(new MarkerArrived(sample, label, localTime), cancellationToken);
            }

            pending.Clear();
        }
    }

    /// <summary>
    /// The EEG reader failing (or ending) while the source is not stopping ends the source at once
    /// with its exception, which the acquisition stage reports as a fault; without this the reader
    /// would wait for events that never come and the fault would surface only at stop.
    /// </summary>
    private static Task EndsTheSource(Task pump, ChannelWriter<SourceEvent> events, CancellationToken stopping) =>
        pump.ContinueWith(
            t =>
            {
                if (!stopping.IsCancellationRequested)
                {
                    events.TryComplete(t.Exception?.GetBaseException() ?? new IOException("the EEG stream's reader ended"));
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>
    /// The marker reader failing does not stop decoding (markers only become events of the session
    /// recording): it is logged as an error and the health is degraded for as long as the source runs.
    /// </summary>
    private Task DegradesWithoutMarkers(Task pump, CancellationToken stopping) =>
        pump.ContinueWith(
            t =>
            {
                if (t.Exception?.GetBaseException() is { } e && !stopping.IsCancellationRequested)
                {
                    LogMarkersFailed(e, _markers!.ToString());
                    _health?.Report("markers", HealthStatus.Degraded, $"the marker stream's reader failed ({e.Message}); no markers are recorded");
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private partial void LogLsl(string line);

    [LoggerMessage(Level = LogLevel.Error, Message = "The LSL marker stream {Markers}'s reader failed; decoding goes on without markers")]
    private partial void LogMarkersFailed(Exception exception, string markers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Stream}: channel units {Units} are not voltages; their values are passed on unscaled")]
    private partial void LogNotVoltage(string stream, string units);
}
