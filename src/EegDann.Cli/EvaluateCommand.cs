using System.CommandLine;
using System.Text.Json;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.UseCases;
using Serilog;
using Serilog.Extensions.Logging;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann evaluate --pipeline P --data DIR --protocol loso|pairs [--methods ...] [--seeds 0,1,2]
/// [--target-labeled K] [--report DIR] [--json]</c>: cross-subject evaluation on a directory of recordings.
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var pipeline = new Option<FileInfo>("--pipeline") { Description = "The pipeline file (pipelines/*.json).", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "A directory of Parquet recordings (NAME.parquet + NAME.events.parquet); subjects come from their metadata.", Required = true };
        var protocol = new Option<string>("--protocol")
        {
            Description = "loso: each subject in turn is the unlabeled target, all others labeled sources; pairs: every ordered (one source → one target) pair.",
            DefaultValueFactory = _ => "loso",
        };
        protocol.AcceptOnlyFromAmong("loso", "pairs");
        var methods = new Option<string[]>("--methods")
        {
            Description = "Methods ([ea_]BASE[_xK], BASE: source_only, reweighting, dann, dann_multi_source, dann_semi, dann_im, source_only_im, csp_lda); default: the baselines, dann, ea_dann and the pipeline's own method.",
            AllowMultipleArgumentsPerToken = true,
        };
        var seeds = new Option<string>("--seeds") { Description = "Seeds, e.g. 0,1,2 or 0-4.", DefaultValueFactory = _ => "0" };
        var labeled = new Option<int>("--target-labeled") { Description = "Semi-supervised: K cue epochs per class of the target (drawn at random from the seed) join training and are not scored.", DefaultValueFactory = _ => 0 };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write evaluation.md, evaluation.json, per-subject.png and methods.png into this directory." };
        var parallel = new Option<int>("--parallel") { Description = "Folds trained at the same time (results do not depend on it).", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (1 is fastest for these small networks and keeps results identical across machines).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (rows, summary, default_method) on stdout." };
        var command = new Command("evaluate", "Cross-subject evaluation of calibration methods on a directory of recordings: per fold, per seed, per method, the target accuracy.");
        foreach (var option in new Option[] { pipeline, data, protocol, methods, seeds, labeled, report, parallel, threads, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<int> seedList;
            try
            {
                seedList = SeedList.Parse(parse.GetValue(seeds)!);
            }
            catch (FormatException e)
            {
                Log.Error("--seeds: {Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(threads) < 1)
            {
                Log.Error("--threads must be ≥ 1");
                return ExitCodes.BadInput;
            }

            TorchRuntime.UseThreads(parse.GetValue(threads));
            var request = new EvaluateRequest(
                parse.GetValue(pipeline)!.FullName,
                parse.GetValue(data)!.FullName,
                parse.GetValue(protocol) == "pairs" ? EvaluationProtocol.Pairs : EvaluationProtocol.Loso,
                parse.GetValue(methods) is { Length: > 0 } m ? m.SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray() : null,
                seedList,
                parse.GetValue(labeled),
                parse.GetValue(report)?.FullName,
                parse.GetValue(parallel));
            using var factory = new SerilogLoggerFactory(Log.Logger);
            try
            {
                var result = await ProgressDisplay.RunAsync("evaluate", progress =>
                    Task.Run(() => Evaluate.RunAsync(request, factory.CreateLogger("evaluate"), progress, cancellationToken), cancellationToken));
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(EvaluationReport.ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                }

                return ExitCodes.Success;
            }
            catch (CalibrationInputException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }
        });
        return command;
    }
}
