using Microsoft.Extensions.Hosting;

namespace EegDann.Daemon.Output;

/// <summary>
/// The control output as a hosted service: sends every decision until the decoder completes;
/// then, if the source asked for it (a finished replay with StopAtEnd), stops the daemon.
/// </summary>
internal sealed class ControlOutputService(ControlOutput output, DaemonPipes pipes, SourceRuntime runtime, DaemonFault fault, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var decision in pipes.Decisions.Reader.ReadAllAsync(CancellationToken.None))
            {
                output.Send(decision);
            }

            if (runtime.StopWhenDrained)
            {
                lifetime.StopApplication();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            fault.Report("control output", e);
        }
    }
}
