using System.Buffers;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The filter/window stage as a hosted service: drains the acquisition channel through the
/// <see cref="WindowStage"/> into the decoder's channel, until acquisition completes. A live
/// source's window that finds the decoder's buffer full is dropped and counted.
/// </summary>
internal sealed class WindowService(WindowStage stage, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonFault fault) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var items = new List<WindowItem>(16);
        var writer = pipes.Windows.Writer;
        try
        {
            // Drains until acquisition completes the channel, also while stopping.
            await foreach (var e in pipes.Acquired.Reader.ReadAllAsync(CancellationToken.None))
            {
                items.Clear();
                stage.Handle(e, items);
                foreach (var item in items)
                {
                    if (writer.TryWrite(item))
                    {
                        continue;
                    }

                    if (runtime.Pacing == SourcePacing.Live)
                    {
                        metrics.Drop(DaemonBuffer.Windows);
                        if (item.Input != null)
                        {
                            ArrayPool<double>.Shared.Return(item.Input);
                        }

                        continue;
                    }

                    await writer.WriteAsync(item, CancellationToken.None);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            fault.Report("filter/window", e);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
