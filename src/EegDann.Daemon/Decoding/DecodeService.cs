using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Decoding;

/// <summary>The decoder as a hosted service: drains the window channel through the <see cref="DecodeStage"/> into the control output's channel.</summary>
internal sealed class DecodeService(DecodeStage stage, DaemonPipes pipes, SourceRuntime runtime, DaemonMetrics metrics, DaemonFault fault) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writer = pipes.Decisions.Writer;
        try
        {
            await foreach (var item in pipes.Windows.Reader.ReadAllAsync(CancellationToken.None))
            {
                var decision = stage.Decode(item);
                if (writer.TryWrite(decision))
                {
                    continue;
                }

                if (runtime.Pacing == SourcePacing.Live)
                {
                    metrics.Drop(DaemonBuffer.Decisions);
                    continue;
                }

                await writer.WriteAsync(decision, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            fault.Report("decoder", e);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
