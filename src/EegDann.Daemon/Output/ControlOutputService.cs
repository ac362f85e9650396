using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Output;

/// <summary>
/// The control output as a hosted service: sends every decision until the decoder completes,
/// then the stop message (<see cref="ControlOutput.SendStop"/>); then, if the source asked for it
/// (a finished replay with StopAtEnd), stops the daemon. However the daemon stops (SIGTERM, a
/// fault, a crashed service, a shutdown budget that ran out), the last datagram is <c>none</c>.
/// </summary>
internal sealed class ControlOutputService(ControlOutput output, DaemonPipes pipes, SourceRuntime runtime, DaemonFault fault, IHostApplicationLifetime lifetime) : BackgroundService
{
    /// <summary>The longest a finished replay waits for the recorder before stopping.</summary>
    private static readonly TimeSpan RecorderWait = TimeSpan.FromMinutes(2);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken);
        }
        finally
        {
            // Only a daemon that started its output says it stops (a start refused by a bad setting sends nothing).
            if (ExecuteTask != null)
            {
                output.SendStop();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var decision in pipes.Decisions.Reader.ReadAllAsync(CancellationToken.None))
            {
                output.Send(decision);
            }

            output.SendStop();
            if (runtime.StopWhenDrained)
            {
                // A finished replay stops once the recorder has caught up too (its file then holds
                // every sample), not within the shutdown budget meant for SIGTERM.
                await Task.WhenAny(runtime.RecorderDrained.Task, Task.Delay(RecorderWait, CancellationToken.None));
                lifetime.StopApplication();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            output.SendStop();
            fault.Report("control output", e);
        }
    }
}
