// Why one file over 400 lines: the recorder is one state machine around one writer: the current
// file, the stream's base index, the failure and retry state and the account of every sample as
// recorded or lost are read and changed together at each step (append, rotate, fail, retry, stop),
// so a split would hand that state back and forth. The file format and crash recovery it relies on
// live apart (RecordingPartWriter and RecordingPartWriter.Recovery.cs).
using System.Diagnostics;
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
/// completes the current file and starts the next (<c>SUBJECT_yyyyMMddTHHmmss_NNN.parquet</c>); so
/// does a file reaching <see cref="RecorderOptions.FileMinutes"/> or
/// <see cref="RecorderOptions.MaxRowGroupsPerFile"/> (the stream continues in the next file, its
/// <c>daemon.first_stream_sample</c> saying where).
/// Stopping the daemon completes the file after every received chunk has been written.
/// </summary>
/// <remarks>
/// Recording never stops decoding. When the folder cannot be created or a file cannot be created,
/// written or completed (no permission, a full disk), the recorder logs the error, counts it,
/// reports the daemon's health as degraded, counts every sample it could not make durable as lost
/// and tries a new file after <see cref="RetrySeconds"/>. Every sample handed to it is in the end
/// either recorded (<see cref="DaemonMetrics.RecordedSamples"/>) or reported lost
/// (<see cref="DaemonMetrics.RecorderLostSamples"/> and an error in the log), including those
/// still queued when the daemon's shutdown budget runs out.
/// </remarks>
internal sealed partial class SessionRecorderService : BackgroundService
{
    /// <summary>Seconds between attempts to record again after a failure.</summary>
    public const double RetrySeconds = 10.0;

    private const string HealthPart = "recorder";
    private readonly RecorderOptions _options;
    private readonly DaemonPipes _pipes;
    private readonly SourceRuntime _runtime;
    private readonly DaemonMetrics _metrics;
    private readonly DaemonHealth _health;
    private readonly AcquisitionOptions _acquisition;
    private readonly ILogger _logger;
    private readonly string _session = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
    private RecordingPartWriter? _writer;
    private StreamDescription? _stream;
    private long _base;
    private long _reportedDurable;
    private int _files;
    private long _failedAt;
    private bool _failed;
    private long _handled;
    private long _abandonedLost;
    private volatile bool _abandoned;

    public SessionRecorderService(IOptions<RecorderOptions> options, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonHealth health, IOptions<AcquisitionOptions> acquisition, ILogger<SessionRecorderService> logger)
    {
        _options = options.Value;
        _pipes = pipes;
        _runtime = runtime;
        _metrics = metrics;
        _health = health;
        _acquisition = acquisition.Value;
        _logger = logger;
    }

    /// <summary>The recordings completed so far.</summary>
    public List<string> Completed { get; } = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_pipes.Recorder != null)
        {
            try
            {
                Directory.CreateDirectory(_options.Directory!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                Fail($"cannot create the recording folder {_options.Directory}: {e.Message}", null, 0);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (ExecuteTask is null || ExecuteTask.IsCompleted)
        {
            return;
        }

        // The shutdown budget ran out with chunks still queued: stop at the next chunk and say
        // exactly what was not recorded.
        _abandoned = true;
        await Task.WhenAny(ExecuteTask, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
        long pending = _metrics.RecorderQueuedSamples - Interlocked.Read(ref _handled) + Interlocked.Read(ref _abandonedLost);
        if (pending > 0)
        {
            _metrics.RecorderLost(pending);
        }

        string part = _writer?.PartPath ?? "(none open)";
        _health.Report(HealthPart, HealthStatus.Degraded, $"stopped before recording {pending} samples");
        LogAbandoned(pending, _metrics.RecorderLostSamples, part);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RecordAsync();
        }
        finally
        {
            _runtime.RecorderDrained.TrySetResult();
        }
    }

    private async Task RecordAsync()
    {
        if (_pipes.Recorder is null)
        {
            return;
        }

        await Task.Yield();

        // Drains until acquisition completes the channel (also while stopping): nothing received is lost.
        await foreach (var e in _pipes.Recorder!.Reader.ReadAllAsync(CancellationToken.None))
        {
            if (_abandoned)
            {
                break;
            }

            switch (e)
            {
                case StreamStarted started:
                    if (_writer != null && !started.Stream.Info.Equals(_writer.Info))
                    {
                        await TryCompleteAsync();
                    }

                    _stream = started.Stream;
                    break;
                case ChunkArrived chunk:
                    await TryAppendAsync(chunk.Chunk);
                    Interlocked.Add(ref _handled, chunk.Chunk.SampleCount);
                    _pipes.RecorderBudget!.Release(DaemonPipes.BytesOf(chunk));
                    break;
                case MarkerArrived marker:
                    AddMarker(marker);
                    break;
                case StreamStopped when _writer != null:
                    try
                    {
                        await _writer.FlushAsync(CancellationToken.None);
                        ReportDurable();
                    }
                    catch (Exception ex) when (IsRecordingFault(ex))
                    {
                        await FailWriterAsync(ex, 0);
                    }

                    break;
            }
        }

        if (!_abandoned)
        {
            await TryCompleteAsync();
        }
        else if (_writer != null)
        {
            // Stopped mid-file: what the writer held but had not made durable is lost; the part
            // file keeps every complete row group (`eegdann recover` completes it).
            Interlocked.Add(ref _abandonedLost, _writer.NextSample - _reportedDurable);
        }
    }

    private async Task TryAppendAsync(SampleChunk chunk)
    {
        if (_stream is null)
        {
            _metrics.RecorderLost(chunk.SampleCount);
            return;
        }

        if (_writer is null && _failed && Stopwatch.GetElapsedTime(_failedAt).TotalSeconds < RetrySeconds)
        {
            _metrics.RecorderLost(chunk.SampleCount);
            return;
        }

        int channels = chunk.ChannelCount;
        int offset = 0;
        try
        {
            if (_writer != null && chunk.FirstSampleIndex != _base + _writer.NextSample)
            {
                LogDiscontinuity(_writer.FinalPath, _base + _writer.NextSample, chunk.FirstSampleIndex);
                await CompleteAsync();
            }
            else if (_writer != null && _options.FileMinutes > 0 && _writer.NextSample >= _options.FileMinutes * 60 * _writer.Info.SampleRateHz)
            {
                // The file is long enough: the stream continues in the next one.
                await CompleteAsync();
            }

            // A file holds at most MaxRowGroupsPerFile row groups (every commit then costs the
            // same): a chunk that reaches the bound is split, and its rest begins the next file.
            while (offset < chunk.SampleCount)
            {
                if (_writer is null)
                {
                    await OpenAsync(chunk.FirstSampleIndex + offset);
                }

                int take = (int)Math.Min(chunk.SampleCount - offset, _writer!.SampleCapacity - _writer.NextSample);
                if (take == 0)
                {
                    await CompleteAsync();
                    continue;
                }

                await _writer.AppendInterleavedAsync(chunk.FirstSampleIndex + offset - _base, chunk.Samples.AsMemory(offset * channels, take * channels), CancellationToken.None);
                offset += take;
                ReportDurable();
            }
        }
        catch (Exception e) when (IsRecordingFault(e))
        {
            // The chunk may already sit in the writer's buffer (a row group failed to commit) or,
            // split at a file's bound, partly in the file before: count only its samples beyond
            // what the writers hold.
            long held = _writer is null ? chunk.FirstSampleIndex + offset : _base + _writer.NextSample;
            long notHeld = Math.Clamp(chunk.EndSampleIndex - Math.Max(chunk.FirstSampleIndex, held), 0, chunk.SampleCount);
            await FailWriterAsync(e, notHeld);
        }
    }

    private async Task TryCompleteAsync()
    {
        try
        {
            await CompleteAsync();
        }
        catch (Exception e) when (IsRecordingFault(e))
        {
            await FailWriterAsync(e, 0);
        }
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
        Directory.CreateDirectory(_options.Directory!);
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
        _writer = await RecordingPartWriter.CreateAsync(path, stream.Info, metadata, _options.RowGroupSeconds, _options.MaxRowGroupsPerFile, CancellationToken.None);
        _base = firstIndex;
        _reportedDurable = 0;
        if (_failed)
        {
            _failed = false;
            _health.Clear(HealthPart);
            LogRecovered(_writer.PartPath);
        }

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
        var completed = _writer;
        _writer = null;
        _metrics.Recorded(samples - _reportedDurable);
        _reportedDurable = 0;
        Completed.Add(path);
        _metrics.RecordingCompleted();
        LogCompleted(path, samples, samples / completed.Info.SampleRateHz);
    }

    /// <summary>Counts the samples that became durable since the last report.</summary>
    private void ReportDurable()
    {
        long durable = _writer!.DurableSamples;
        if (durable > _reportedDurable)
        {
            _metrics.Recorded(durable - _reportedDurable);
            _reportedDurable = durable;
        }
    }

    /// <summary>The writer failed: what it held but had not made durable, and the chunk in hand, are lost.</summary>
    private async Task FailWriterAsync(Exception e, long chunkSamples)
    {
        long lost = chunkSamples;
        string? part = null;
        if (_writer != null)
        {
            lost += _writer.NextSample - _reportedDurable;
            part = _writer.PartPath;
            try
            {
                await _writer.DisposeAsync();
            }
            catch (Exception ex) when (IsRecordingFault(ex))
            {
                // The file is already failing; its part file (if any) is left for `eegdann recover`.
            }

            _writer = null;
            _reportedDurable = 0;
        }

        Fail(e.Message, part, lost);
    }

    private void Fail(string problem, string? part, long lostSamples)
    {
        _metrics.RecorderFailed();
        if (lostSamples > 0)
        {
            _metrics.RecorderLost(lostSamples);
        }

        _failed = true;
        _failedAt = Stopwatch.GetTimestamp();
        _health.Report(HealthPart, HealthStatus.Degraded, problem);
        LogFailed(problem, part ?? "(no file)", lostSamples, RetrySeconds);
    }

    private static bool IsRecordingFault(Exception e) =>
        e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or InvalidOperationException or ObjectDisposedException or Recordings.RecordingFormatException;

    private static string Sanitize(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording the session to {Path} from stream sample {Sample}")]
    private partial void LogStarted(string path, long sample);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording {Path} completed: {Samples} samples ({Seconds:F1} s)")]
    private partial void LogCompleted(string path, long samples, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Path}: the stream jumps from sample {Expected} to {Actual}; starting a new recording")]
    private partial void LogDiscontinuity(string path, long expected, long actual);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recorder failed: {Problem} (file {Part}); {Lost} samples lost, and samples are not recorded until a new file can be created (next try in {RetrySeconds} s); decoding goes on")]
    private partial void LogFailed(string problem, string part, long lost, double retrySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorder recovered: recording again to {Path}")]
    private partial void LogRecovered(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "The daemon stopped before the recorder caught up: {Pending} received samples were not recorded ({Lost} lost in this session in all); the last part file {Part} can be completed with `eegdann recover`")]
    private partial void LogAbandoned(long pending, long lost, string part);
}
