using System.Diagnostics;
using System.Threading.Channels;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Processing;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// The acquisition stage: runs the source and fans its events out to the filter/window stage,
/// the session recorder and the online calibrator. A live source's chunk that finds a buffer full
/// is dropped and counted (the stages see a gap and fail safe); an unpaced replay waits. Stream
/// starts and stops are never dropped. Registered last, so it starts after every consumer and
/// stops first: its channels complete and the stages downstream drain.
/// </summary>
internal sealed partial class AcquisitionService : BackgroundService
{
    private readonly ISampleSourceFactory _factory;
    private readonly DaemonPipes _pipes;
    private readonly SourceRuntime _runtime;
    private readonly DaemonMetrics _metrics;
    private readonly DaemonFault _fault;
    private readonly ReplayOptions _replay;
    private readonly AcquisitionOptions _acquisition;
    private readonly ActiveModel _models;
    private readonly DecoderOptions _decoder;
    private readonly FailSafeOptions _failSafe;
    private readonly ConsoleTap _console;
    private readonly DaemonHealth _health;
    private readonly RealtimeOptions _realtime;
    private readonly WindowService _controlPath;
    private readonly ILogger _logger;
    private bool _refused;
    private long _lastDropLog;

    public AcquisitionService(ISampleSourceFactory factory, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonHealth health, DaemonFault fault, IOptions<ReplayOptions> replay, IOptions<AcquisitionOptions> acquisition, ActiveModel models, IOptions<DecoderOptions> decoder, IOptions<FailSafeOptions> failSafe, IOptions<RealtimeOptions> realtime, ConsoleTap console, WindowService controlPath, ILogger<AcquisitionService> logger)
    {
        _controlPath = controlPath;
        _realtime = realtime.Value;
        _console = console;
        _factory = factory;
        _pipes = pipes;
        _runtime = runtime;
        _metrics = metrics;
        _health = health;
        _fault = fault;
        _replay = replay.Value;
        _acquisition = acquisition.Value;
        _models = models;
        _decoder = decoder.Value;
        _failSafe = failSafe.Value;
        _logger = logger;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _runtime.Source = await _factory.CreateAsync(cancellationToken);
        LogSource(_runtime.Source.Name, _runtime.Source.Pacing.ToString());
        ControlPathWarmup.Run(_models.Current, _decoder, _failSafe);

        // Start the stream with a clean heap: everything loaded so far (model, pipeline, files) is
        // promoted now, so the collections that happen while decoding are small and short, and
        // background collection avoids blocking full ones.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.SustainedLowLatency;
        LogHeap(GC.GetTotalMemory(false) / 1e6, GC.GetTotalPauseDuration().TotalMilliseconds);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is null)
        {
            // The source never ran (its start, or an earlier service's, failed): complete the channels
            // it would have completed, so the stages downstream drain now instead of waiting out the
            // shutdown budget.
            _pipes.Acquired.Writer.TryComplete();
            _pipes.Recorder?.Writer.TryComplete();
            _pipes.Calibrator?.Writer.TryComplete();
        }

        await base.StopAsync(cancellationToken);
        if (_runtime.Source is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>
    /// The source runs on a thread of its own (every continuation of its reads comes back to it),
    /// scheduled like the control thread (<see cref="ControlPathScheduling"/>): the arrival stamp
    /// and the hand-off to the control thread happen there, so a busy machine's time slices cannot
    /// fall between them.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        DedicatedThread.Run("eegdann-acquire", Schedule, async () =>
        {
            await AcquireAsync(stoppingToken);
            return true;
        });

    private void Schedule()
    {
        var (applied, description) = ControlPathScheduling.Apply(_realtime, _runtime.Pacing);
        if (applied)
        {
            LogScheduling(description);
        }
        else
        {
            LogSchedulingRefused(description);
        }
    }

    private async Task AcquireAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var source = _runtime.Source!;
        bool finished = false;
        try
        {
            await foreach (var e in source.ReadAsync(stoppingToken))
            {
                await RouteAsync(e, stoppingToken);
            }

            finished = true;
            LogFinished(source.Name);
            bool stopAtEnd = _acquisition.Source == SourceKind.Replay && _replay.StopAtEnd;
            if (stopAtEnd)
            {
                _runtime.StopWhenDrained = true;
            }
            else
            {
                // Keep the stages (and the stale heartbeats) running until the daemon is stopped.
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            _fault.Report("acquisition", e);
        }
        finally
        {
            // Completing the channels lets every stage drain and finish (the recorder completes its file).
            _pipes.Acquired.Writer.TryComplete();
            _pipes.Recorder?.Writer.TryComplete();
            _pipes.Calibrator?.Writer.TryComplete();
            if (finished && _runtime.StopWhenDrained)
            {
                LogDraining();
            }
        }
    }

    private async ValueTask RouteAsync(SourceEvent e, CancellationToken cancellationToken)
    {
        // The console's copy first: it never waits (a lossy queue; off: nothing kept).
        _console.Offer(e);
        if (e is ChunkArrived chunk)
        {
            if (_refused || chunk.Chunk.FirstSampleIndex < 0 || chunk.Chunk.EndSampleIndex > StreamLimits.MaxSampleIndex)
            {
                // A refused stream's chunks, or indices no window arithmetic may see: not for the stages.
                _metrics.Drop(DaemonBuffer.Acquisition);
                return;
            }

            _metrics.ChunkArrived(chunk.Chunk.SampleCount, chunk.ArrivalTimestamp);
            _runtime.Received(chunk.Chunk.EndSampleIndex);
            bool live = _runtime.Pacing == SourcePacing.Live;
            bool recorderDone = _pipes.Recorder is null;
            try
            {
                // A live chunk goes through the control path on this thread when the path is idle (no wake-up of the
                // control thread between its arrival and its datagram); otherwise it is queued for the control thread.
                if (!live || !_controlPath.TryRunHere(e))
                {
                    await WriteAsync(_pipes.Acquired.Writer, e, live, DaemonBuffer.Acquisition, cancellationToken);
                }

                if (_pipes.Recorder != null)
                {
                    bool queued = await WriteBudgetedAsync(_pipes.Recorder.Writer, _pipes.RecorderBudget!, e, live, DaemonBuffer.Recorder, cancellationToken);
                    recorderDone = true;
                    if (queued)
                    {
                        _metrics.RecorderQueued(chunk.Chunk.SampleCount);
                    }
                    else
                    {
                        RecorderDropped(chunk.Chunk.SampleCount);
                    }
                }
            }
            catch (OperationCanceledException) when (!recorderDone)
            {
                // Stopping while an unpaced source waited for room: the chunk was received (counted
                // above) and never reaches the recorder, so it is reported lost, not dropped silently.
                _metrics.RecorderLost(chunk.Chunk.SampleCount);
                throw;
            }

            if (_pipes.Calibrator != null)
            {
                long bytes = DaemonPipes.BytesOf(e);
                if (!_pipes.CalibratorBudget!.TryTake(bytes))
                {
                    _metrics.Drop(DaemonBuffer.Calibrator);
                }
                else if (!_pipes.Calibrator.Writer.TryWrite(e))
                {
                    _pipes.CalibratorBudget.Release(bytes);
                    _metrics.Drop(DaemonBuffer.Calibrator);
                }
            }

            return;
        }

        if (e is StreamStarted started)
        {
            // Every source's declaration is bounded here before any stage sizes a buffer from it.
            var problems = StreamLimits.Problems(started.Stream.Info, started.Stream.Subject);
            _refused = problems.Count > 0;
            if (_refused)
            {
                LogStreamRefused(started.Stream.SourceName, string.Join("; ", problems));
                e = new StreamStopped("the stream was refused: " + string.Join("; ", problems));
            }
            else
            {
                _runtime.StreamStarted();
            }
        }

        // Stream starts and stops are never dropped.
        await _pipes.Acquired.Writer.WriteAsync(e, cancellationToken);
        if (_pipes.Recorder != null)
        {
            await _pipes.Recorder.Writer.WriteAsync(e, cancellationToken);
        }

        if (_pipes.Calibrator != null)
        {
            await _pipes.Calibrator.Writer.WriteAsync(e, cancellationToken);
        }
    }

    /// <summary>Hands <paramref name="e"/> on; false when a live source's chunk found the buffer full and was dropped.</summary>
    private async ValueTask<bool> WriteAsync(ChannelWriter<SourceEvent> writer, SourceEvent e, bool live, DaemonBuffer buffer, CancellationToken cancellationToken)
    {
        if (writer.TryWrite(e))
        {
            return true;
        }

        if (live)
        {
            _metrics.Drop(buffer);
            return false;
        }

        await writer.WriteAsync(e, cancellationToken);
        return true;
    }

    /// <summary>As <see cref="WriteAsync"/>, also bounded by <paramref name="budget"/>: a live source's chunk beyond it is dropped, an unpaced source waits for room.</summary>
    private async ValueTask<bool> WriteBudgetedAsync(ChannelWriter<SourceEvent> writer, QueueBudget budget, SourceEvent e, bool live, DaemonBuffer buffer, CancellationToken cancellationToken)
    {
        long bytes = DaemonPipes.BytesOf(e);
        while (!budget.TryTake(bytes))
        {
            if (live)
            {
                _metrics.Drop(buffer);
                return false;
            }

            await Task.Delay(BudgetPollMilliseconds, cancellationToken);
        }

        try
        {
            if (await WriteAsync(writer, e, live, buffer, cancellationToken))
            {
                return true;
            }
        }
        catch (OperationCanceledException)
        {
            budget.Release(bytes);
            throw;
        }

        budget.Release(bytes);
        return false;
    }

    /// <summary>How often an unpaced source waiting for a queue's bytes looks again.</summary>
    private const int BudgetPollMilliseconds = 2;

    private void RecorderDropped(int samples)
    {
        _metrics.RecorderLost(samples);
        _health.Report("recorder", HealthStatus.Degraded, "its buffer was full; received samples were not recorded");
        if (Stopwatch.GetElapsedTime(_lastDropLog).TotalSeconds >= 10)
        {
            _lastDropLog = Stopwatch.GetTimestamp();
            LogRecorderBehind(_metrics.RecorderLostSamples);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Acquisition thread running with {Scheduling}")]
    private partial void LogScheduling(string scheduling);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Acquisition thread: {Problem}; running with normal time sharing")]
    private partial void LogSchedulingRefused(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Acquisition from {Source} ({Pacing})")]
    private partial void LogSource(string source, string pacing);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Heap before the stream: {HeapMb:F1} MB; collections so far paused {GcPauseMs:F1} ms")]
    private partial void LogHeap(double heapMb, double gcPauseMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream from {Source} refused: {Problems}; its samples are ignored until a stream that fits starts")]
    private partial void LogStreamRefused(string source, string problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "The recorder is behind and its buffer is full: {Lost} received samples not recorded so far (Daemon:Buffers:RecorderChunks)")]
    private partial void LogRecorderBehind(long lost);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} finished")]
    private partial void LogFinished(string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining the stages; the daemon stops when every decision has been sent")]
    private partial void LogDraining();
}
