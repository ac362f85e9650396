using System.CommandLine;
using System.Text.Json;
using EegDann.Core;
using EegDann.Model;
using Serilog;

namespace EegDann.Cli;

/// <summary><c>eegdann doctor</c>: checks that this machine can run EegDann (TorchSharp loads and trains).</summary>
public static class DoctorCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the findings as one JSON object." };
        var command = new Command("doctor", "Check that TorchSharp's native runtime loads here and runs a backward pass.");
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            try
            {
                var report = TorchRuntime.Check();
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        eegdann_version = EegDannVersion.Current,
                        torchsharp_version = report.TorchSharpVersion,
                        libtorch_version = report.LibTorchVersion,
                        threads = report.Threads,
                        gradient = report.Gradient,
                        seconds = report.Elapsed.TotalSeconds,
                    }));
                }
                else
                {
                    Log.Information("TorchSharp {TorchSharpVersion} with libtorch {LibTorchVersion} loaded; {Threads} threads; d/dx sum(x^2) at [1,2,3] = [{Gradient}] in {Seconds:F2} s",
                        report.TorchSharpVersion, report.LibTorchVersion, report.Threads, string.Join(", ", report.Gradient), report.Elapsed.TotalSeconds);
                }

                return ExitCodes.Success;
            }
            catch (TorchRuntimeUnavailableException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
