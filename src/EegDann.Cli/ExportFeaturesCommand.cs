using System.CommandLine;
using System.Text.Json;
using EegDann.Pipelines.UseCases;
using Serilog;
using Serilog.Extensions.Logging;

namespace EegDann.Cli;

/// <summary><c>eegdann export-features --pipeline P RECORDING... --out-file FEATURES.parquet</c>: one row of features per epoch.</summary>
public static class ExportFeaturesCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var pipeline = new Option<FileInfo>("--pipeline") { Description = "The pipeline file (pipelines/*.json).", Required = true };
        var output = new Option<FileInfo>("--out-file") { Description = "The feature file to write (Parquet); written atomically.", Required = true }.WithDeprecatedAliases("export-features");
        var json = new Option<bool>("--json") { Description = "Print a JSON summary on stdout." };
        var recordings = new Argument<FileInfo[]>("RECORDING")
        {
            Description = "Recordings: EegDann Parquet (NAME.parquet beside NAME.events.parquet) or EDF/BDF/GDF files.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command(
            "export-features",
            "Cut the pipeline's epochs out of recordings and write their features, one row per epoch (subject, recording, start_sample, label, <feature>_<channel>…), to a Parquet file. " +
            "Data-dependent steps (alignment per subject, CSP, tangent space, standardisation) are fitted on the exported recordings themselves.");
        command.Options.Add(pipeline);
        command.Options.Add(output);
        command.Options.Add(json);
        command.Arguments.Add(recordings);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new ExportFeaturesRequest(
                parse.GetValue(pipeline)!.FullName,
                parse.GetValue(recordings)!.Select(f => f.FullName).ToArray(),
                parse.GetValue(output)!.FullName);
            using var factory = new SerilogLoggerFactory(Log.Logger);
            try
            {
                var result = await ProgressDisplay.RunAsync("export-features", progress =>
                    ExportFeatures.RunAsync(request, factory.CreateLogger("export-features"), progress, cancellationToken));
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        output = result.OutputPath,
                        rows = result.Rows,
                        features = result.Features,
                        subjects = result.Subjects,
                        skipped = result.Skipped,
                    }));
                }

                return ExitCodes.Success;
            }
            catch (ExportInputException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }
        });
        return command;
    }
}
