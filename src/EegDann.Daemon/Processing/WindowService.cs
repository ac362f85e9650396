using System.Buffers;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Dsp.Alignment;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The filter/window stage as a hosted service, on its own thread: the control thread. It blocks
/// on the acquisition channel, runs each event through the <see cref="WindowStage"/> and writes
/// the items to the decoder's channel, whose waiting reader then runs on this same thread (and the
/// output's after it): one thread, scheduled as <see cref="RealtimeOptions"/> say, carries a chunk
/// to its datagram. Drains until acquisition completes the channel. A live source's window that
/// finds the decoder's buffer full is dropped and counted.
/// </summary>
/// <remarks>
/// A live source's chunk does not wait for this thread to wake: the acquisition thread, which
/// runs with the same scheduling, carries it through the same path itself when the path is idle
/// (<see cref="TryRunHere"/>), after anything queued before it. One thread at a time owns the path
/// (a compare-and-swap), so the stage, the decoder and the output see their events in order and
/// never concurrently; the control thread keeps everything else (stream starts and stops, the
/// stale watchdog's heartbeats, an unpaced replay's chunks, and a chunk that finds the path busy).
/// Waking a blocked thread is what made the hand-off's tail on an idle machine (p99 0.9–1.5 ms on
/// this VM, docs/daemon.md).
/// </remarks>
internal sealed partial class WindowService(WindowStage stage, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonFault fault, IOptions<RealtimeOptions> realtime, ILogger<WindowService> logger, AlignmentWorker? alignmentWorker = null) : IHostedService, IDisposable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _arrived = new(false);
    private readonly ManualResetEventSlim _released = new(true);
    private Action? _signalArrived;

    /// <summary>1 while a thread runs the path (the control thread, or acquisition for a live chunk), else 0.</summary>
    private int _owner;

    /// <summary>Set once the path failed (reported as a fault): nothing more goes through it.</summary>
    private volatile bool _failed;

    /// <summary>The continuation of a pending wait: one delegate, made once.</summary>
    private Action SignalArrived => _signalArrived ??= _arrived.Set;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "eegdann-control" };
        thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _done.Task.WaitAsync(cancellationToken);

    private void Run()
    {
        var reader = pipes.Acquired.Reader;
        try
        {
            // The scheduling waits for the first event: by then the source, and so its pacing, is known.
            if (!WaitForMore(reader))
            {
                return;
            }

            Schedule();
            long seen = GC.GetAllocatedBytesForCurrentThread();
            do
            {
                // What this thread allocated since it last looked, its waits included.
                long now = GC.GetAllocatedBytesForCurrentThread();
                metrics.ControlPathAllocated(now - seen);
                seen = now;
                _released.Reset();
                if (!TryEnter())
                {
                    // The acquisition thread is running the path: it takes what is queued before it lets go.
                    _released.Wait();
                    continue;
                }

                DrainAndExit();
            }
            while (!_failed && WaitForMore(reader));
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            pipes.Windows.Writer.TryComplete();
            _done.TrySetResult();
        }
    }

    /// <summary>
    /// Runs a live source's chunk through the path on the calling (acquisition) thread when no other thread is
    /// running it, after the events queued before it; false (nothing done) when the path is busy, and the caller
    /// queues the chunk for the control thread.
    /// </summary>
    internal bool TryRunHere(SourceEvent e)
    {
        if (_failed || !TryEnter())
        {
            return false;
        }

        // Continuations the path registers (the decoder's and the output's waits) must not be tied to the
        // acquisition thread's own context: with none, the next window runs them on whichever thread writes it.
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Drain(pipes.Acquired.Reader);
            Handle(e);
            metrics.ChunkRunInline();
            DrainAndExit();
            metrics.ControlPathAllocated(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (Exception fault)
        {
            Fail(fault);
            Exit();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return true;
    }

    private bool TryEnter() => Interlocked.CompareExchange(ref _owner, 1, 0) == 0;

    private void Exit()
    {
        Interlocked.Exchange(ref _owner, 0);
        _released.Set();
    }

    /// <summary>Drains the queue, lets go of the path, and takes it again while something was queued meanwhile by a thread that found it busy.</summary>
    private void DrainAndExit()
    {
        var reader = pipes.Acquired.Reader;
        while (true)
        {
            Drain(reader);
            Exit();
            if (_failed || !reader.TryPeek(out _) || !TryEnter())
            {
                return;
            }
        }
    }

    private void Drain(System.Threading.Channels.ChannelReader<SourceEvent> reader)
    {
        while (!_failed && reader.TryRead(out var e))
        {
            Handle(e);
        }
    }

    private void Handle(SourceEvent e)
    {
        if (e is ChunkArrived chunk)
        {
            metrics.HandOffDelay.Record(System.Diagnostics.Stopwatch.GetElapsedTime(chunk.ArrivalTimestamp).TotalMilliseconds);
        }

        foreach (var item in stage.Handle(e))
        {
            Write(pipes.Windows.Writer, item);
        }
    }

    private void Fail(Exception e)
    {
        if (!_failed)
        {
            _failed = true;
            fault.Report("filter/window", e);
            pipes.Windows.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Blocks until the acquisition channel has an event (true) or is completed (false), without allocating:
    /// the channel's pending wait signals a reused event (its continuation is a cached delegate that runs on
    /// the writer's thread), instead of being turned into a task per wait.
    /// </summary>
    private bool WaitForMore(System.Threading.Channels.ChannelReader<SourceEvent> reader) => Wait(reader.WaitToReadAsync());

    private bool Wait(ValueTask<bool> wait)
    {
        var awaiter = wait.GetAwaiter();
        if (!awaiter.IsCompleted)
        {
            _arrived.Reset();
            awaiter.UnsafeOnCompleted(SignalArrived);
            _arrived.Wait();
        }

        return awaiter.GetResult();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _arrived.Dispose();
        _released.Dispose();
    }

    private void Schedule()
    {
        var (applied, description) = ControlPathScheduling.Apply(realtime.Value, runtime.Pacing);
        runtime.RealtimeControlPath = applied && ControlPathScheduling.Effective(realtime.Value, runtime.Pacing).Options.Scheduling is ControlThreadScheduling.Fifo or ControlThreadScheduling.RoundRobin;
        if (applied)
        {
            LogScheduling(description);
        }
        else
        {
            LogSchedulingRefused(description);
        }

        // The alignment worker computes what the control thread waits for (two windows later at most): the same policy.
        alignmentWorker?.Post(() =>
        {
            var (workerApplied, workerDescription) = ControlPathScheduling.Apply(realtime.Value, runtime.Pacing);
            LogWorkerScheduling(workerApplied, workerDescription);
        });
    }

    private void Write(System.Threading.Channels.ChannelWriter<WindowItem> writer, WindowItem item)
    {
        if (writer.TryWrite(item))
        {
            return;
        }

        if (runtime.Pacing == SourcePacing.Live)
        {
            metrics.Drop(DaemonBuffer.Windows);
            if (item.Input != null)
            {
                ArrayPool<double>.Shared.Return(item.Input);
            }

            return;
        }

        writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alignment worker thread: {Applied}, {Scheduling}")]
    private partial void LogWorkerScheduling(bool applied, string scheduling);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control thread running with {Scheduling}")]
    private partial void LogScheduling(string scheduling);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control thread: {Problem}; running with normal time sharing")]
    private partial void LogSchedulingRefused(string problem);
}
