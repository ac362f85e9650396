using System.Globalization;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Recorder;

/// <summary>
/// The session recorder: writes the raw stream, as it arrives, to Parquet recordings in the same
/// format as import (<see cref="RecordingPartWriter"/>: a part file that is a valid recording
/// after every row group, renamed on completion; <c>eegdann recover</c> completes one left by a
/// crash). One recording per gap-free stretch: a gap, an overlap or a stream with other channels
/// completes the current file and starts the next (<c>SUBJECT_yyyyMMddTHHmmss_NNN.parquet</c>).
/// Stopping the daemon completes the file after every received chunk has been written.
/// </summary>
internal sealed partial class SessionRecorderService : BackgroundService
{
    private readonly RecorderOptions _options;
    private readonly DaemonPipes _pipes;
    private readonly DaemonMetrics _metrics;
    private readonly DaemonFault _fault;
    private readonly AcquisitionOptions _acquisition;
    private readonly ILogger _logger;
    private readonly string _session = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
    private RecordingPartWriter? _writer;
    private StreamDescription? _stream;
    private long _base;
    private int _files;

    public SessionRecorderService(IOptions<RecorderOptions> options, DaemonPipes pipes, DaemonMetrics metrics, DaemonFault fault, IOptions<AcquisitionOptions> acquisition, ILogger<SessionRecorderService> logger)
    {
        _options = options.Value;
        _pipes = pipes;
        _metrics = metrics;
        _fault = fault;
        _acquisition = acquisition.Value;
        _logger = logger;
    }

    /// <summary>The recordings completed so far.</summary>
    public List<string> Completed { get; } = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_pipes.Recorder != null)
        {
            Directory.CreateDirectory(_options.Directory!);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_pipes.Recorder is null)
        {
            return;
        }

        await Task.Yield();
        try
        {
            // Drains until acquisition completes the channel (also while stopping): nothing received is lost.
            await foreach (var e in _pipes.Recorder!.Reader.ReadAllAsync(CancellationToken.None))
            {
                switch (e)
                {
                    case StreamStarted started:
                        if (_writer != null && !started.Stream.Info.Equals(_writer.Info))
                        {
                            await CompleteAsync();
                        }

                        _stream = started.Stream;
                        break;
                    case ChunkArrived chunk:
                        await AppendAsync(chunk.Chunk);
                        break;
                    case MarkerArrived marker:
                        AddMarker(marker);
                        break;
                    case StreamStopped:
                        if (_writer != null)
                        {
                            await _writer.FlushAsync(CancellationToken.None);
                        }

                        break;
                }
            }

            await CompleteAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _fault.Report("session recorder", e);
            if (_writer != null)
            {
                await _writer.DisposeAsync();
            }
        }
    }

    private async Task AppendAsync(SampleChunk chunk)
    {
        if (_stream is null)
        {
            return;
        }

        if (_writer != null && chunk.FirstSampleIndex != _base + _writer.NextSample)
        {
            LogDiscontinuity(_writer.FinalPath, _base + _writer.NextSample, chunk.FirstSampleIndex);
            await CompleteAsync();
        }

        if (_writer is null)
        {
            await OpenAsync(chunk.FirstSampleIndex);
        }

        await _writer!.AppendInterleavedAsync(chunk.FirstSampleIndex - _base, chunk.Samples.AsMemory(0, chunk.SampleCount * chunk.ChannelCount), CancellationToken.None);
        _metrics.Recorded(chunk.SampleCount);
    }

    private readonly List<MarkerArrived> _pendingMarkers = [];

    private void AddMarker(MarkerArrived marker)
    {
        if (_writer is null || _stream is null)
        {
            // Before the first sample of a recording: kept until it opens.
            _pendingMarkers.Add(marker);
            return;
        }

        if (marker.Sample >= _base)
        {
            long sample = marker.Sample - _base;
            _writer.AddEvent(new RecordingEvent(sample / _stream.Info.SampleRateHz, 0, marker.Label, sample));
        }
    }

    private async Task OpenAsync(long firstIndex)
    {
        var stream = _stream!;
        string subject = stream.Subject ?? _acquisition.Subject;
        string path;
        do
        {
            _files++;
            path = Path.Combine(_options.Directory!, $"{Sanitize(subject)}_{_session}_{_files:000}.parquet");
        }
        while (File.Exists(path) || File.Exists(path + RecordingPartWriter.PartSuffix));

        var extra = new Dictionary<string, string>(stream.Properties ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["daemon.source"] = stream.SourceName,
            ["daemon.first_stream_sample"] = firstIndex.ToString(CultureInfo.InvariantCulture),
            ["daemon.started_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        var metadata = new RecordingMetadata
        {
            Subject = subject,
            Session = _session,
            Run = _files.ToString("000", CultureInfo.InvariantCulture),
            OriginalChannelLabels = stream.Info.Channels,
            ChannelUnits = Enumerable.Repeat("uV", stream.Info.ChannelCount).ToArray(),
            Extra = extra,
        };
        _writer = await RecordingPartWriter.CreateAsync(path, stream.Info, metadata, _options.RowGroupSeconds, CancellationToken.None);
        _base = firstIndex;
        LogStarted(_writer.PartPath, firstIndex);
        var pending = _pendingMarkers.ToList();
        _pendingMarkers.Clear();
        pending.ForEach(AddMarker);
    }

    private async Task CompleteAsync()
    {
        if (_writer is null)
        {
            return;
        }

        long samples = _writer.NextSample;
        string path = await _writer.CompleteAsync(CancellationToken.None);
        _writer = null;
        Completed.Add(path);
        _metrics.RecordingCompleted();
        LogCompleted(path, samples, samples / _stream!.Info.SampleRateHz);
    }

    private static string Sanitize(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording the session to {Path} from stream sample {Sample}")]
    private partial void LogStarted(string path, long sample);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording {Path} completed: {Samples} samples ({Seconds:F1} s)")]
    private partial void LogCompleted(string path, long samples, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Path}: the stream jumps from sample {Expected} to {Actual}; starting a new recording")]
    private partial void LogDiscontinuity(string path, long expected, long actual);
}
