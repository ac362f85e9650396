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
internal sealed partial class WindowService(WindowStage stage, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonFault fault, IOptions<RealtimeOptions> realtime, ILogger<WindowService> logger, AlignmentWorker? alignmentWorker = null) : IHostedService, IDisposable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _arrived = new(false);
    private Action? _signalArrived;

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
        var writer = pipes.Windows.Writer;
        try
        {
            // The scheduling waits for the first event: by then the source, and so its pacing, is known.
            if (!WaitForMore(reader))
            {
                return;
            }

            Schedule();
            do
            {
                while (reader.TryRead(out var e))
                {
                    if (e is ChunkArrived chunk)
                    {
                        metrics.HandOffDelay.Record(System.Diagnostics.Stopwatch.GetElapsedTime(chunk.ArrivalTimestamp).TotalMilliseconds);
                    }

                    foreach (var item in stage.Handle(e))
                    {
                        Write(writer, item);
                    }

                    metrics.ControlThreadAllocated(GC.GetAllocatedBytesForCurrentThread());
                }
            }
            while (WaitForMore(reader));
        }
        catch (Exception e)
        {
            fault.Report("filter/window", e);
        }
        finally
        {
            writer.TryComplete();
            _done.TrySetResult();
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
    public void Dispose() => _arrived.Dispose();

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
