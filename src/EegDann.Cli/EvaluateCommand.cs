using System.CommandLine;
using System.Text.Json;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.UseCases;
using Serilog;
using Serilog.Extensions.Logging;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann evaluate --pipeline P --data DIR... [--protocol loso|pairs | --sources DIR] [--methods ...] [--seeds 0,1,2]
/// [--target-labeled K[,K...]] [--target-holdout H] [--source-runs R,...] [--report DIR] [--json]</c>: cross-subject evaluation on directories of recordings.
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var pipeline = new Option<FileInfo>("--pipeline") { Description = "The pipeline file (pipelines/*.json).", Required = true };
        var data = new Option<DirectoryInfo[]>("--data")
        {
            Description = "Directories of Parquet recordings (NAME.parquet + NAME.events.parquet), read together; subjects come from their metadata, runs outside the paradigm's source and target runs are skipped.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var sources = new Option<DirectoryInfo?>("--sources") { Description = "A bank of labeled sources: every subject here is a source of every target; every subject of --data is in turn the unlabeled target (protocol 'sources')." };
        var sourceRuns = new Option<string?>("--source-runs") { Description = "Replace the pipeline's source_runs, e.g. R03,R07,R11,R04,R08,R12 (an ablation); a target's own other runs are never used." };
        var holdout = new Option<int>("--target-holdout") { Description = "K labeled target epochs per class (drawn per seed) kept only to estimate the accuracy before deployment; never in training.", DefaultValueFactory = _ => 0 };
        var protocol = new Option<string>("--protocol")
        {
            Description = "loso: each subject in turn is the unlabeled target, all others labeled sources; pairs: every ordered (one source → one target) pair.",
            DefaultValueFactory = _ => "loso",
        };
        protocol.AcceptOnlyFromAmong("loso", "pairs", "sources");
        var methods = new Option<string[]>("--methods")
        {
            Description = $"Methods, comma-separated or repeated ({CalibrationMethod.Grammar}; _crops: cropped training on the windows inside each cue, _st: self-training on the target's confident predictions, _refit: the label head refitted on the labeled target epochs, _ba: the bias re-estimated from the target's unlabeled epochs; _within, classic methods only: fitted on the target's labeled epochs alone, a per-subject calibration beside the learning curve); default: the baselines, dann, ea_dann and the pipeline's own method.",
            AllowMultipleArgumentsPerToken = true,
        };
        var seeds = new Option<string>("--seeds") { Description = "Seeds, e.g. 0, 0,1,2 or 0-4.", DefaultValueFactory = _ => "0" };
        var labeled = new Option<string>("--target-labeled") { Description = "Semi-supervised: K cue epochs per class of the target (drawn at random from the seed) join training and are not scored; a list (0,2,5,10) draws the learning curve, every K scored on the same epochs.", DefaultValueFactory = _ => "0" };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write evaluation.md, evaluation.json, per-subject.png, methods.png (and learning-curve.png for a list of --target-labeled) into this directory." };
        var parallel = new Option<int>("--parallel") { Description = "Folds trained at the same time (results do not depend on it).", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (1 is fastest for these small networks and keeps results identical across machines).", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "Where the networks train: cpu, cuda or cuda:N (CUDA needs a build with libtorch's CUDA runtime: docs/torchsharp.md, \"GPUs\").", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (rows, summary, default_method) on stdout." };
        var shard = new Option<string?>("--shard") { Description = "Run only shard K of N (e.g. 2/3) and write its rows to OUT/part-K-of-N.parquet (needs --out); without it, K/N come from SLURM_ARRAY_TASK_ID/COUNT (or MIN/MAX) or JOB_COMPLETION_INDEX with --shards when --out is given. Merge with 'evaluate merge OUT'." };
        var shards = new Option<int?>("--shards") { Description = "N, the number of shards, for a Kubernetes Indexed Job (its completions): K comes from JOB_COMPLETION_INDEX." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "A sharded run's output folder (shared by the shards): part-K-of-N.parquet goes here, and subjects' features are cached in OUT/features unless --feature-cache says otherwise." };
        var featureCache = new Option<DirectoryInfo?>("--feature-cache") { Description = "Keep subjects' feature rows on disk here (content-addressed per pipeline; processes on one node share them)." };
        var command = new Command("evaluate", "Cross-subject evaluation of calibration methods on a directory of recordings: per fold, per seed, per method, the target accuracy.");
        foreach (var option in new Option[] { pipeline, data, sources, protocol, methods, seeds, labeled, holdout, sourceRuns, report, parallel, threads, device, json, shard, shards, output, featureCache })
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

            int[] labeledCounts;
            try
            {
                labeledCounts = parse.GetValue(labeled)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(k => int.Parse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            }
            catch (FormatException)
            {
                Log.Error("--target-labeled: {Value} is not a list of counts ≥ 0 such as 0,2,5,10", parse.GetValue(labeled));
                return ExitCodes.BadInput;
            }
            catch (OverflowException)
            {
                Log.Error("--target-labeled: {Value} holds a count that is too large", parse.GetValue(labeled));
                return ExitCodes.BadInput;
            }

            if (labeledCounts.Length == 0)
            {
                Log.Error("--target-labeled: give at least one count, e.g. 0 or 0,2,5,10");
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(threads) < 1)
            {
                Log.Error("--threads must be ≥ 1");
                return ExitCodes.BadInput;
            }

            TorchRuntime.UseThreads(parse.GetValue(threads));
            try
            {
                TorchRuntime.UseDevice(parse.GetValue(device), "--device");
            }
            catch (TorchDeviceException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            EvaluationShard? part;
            try
            {
                part = parse.GetValue(shard) is { } text
                    ? EvaluationShard.Parse(text)
                    : parse.GetValue(output) is null
                        ? null
                        : EvaluationShard.FromEnvironment(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value), parse.GetValue(shards))
                          ?? new EvaluationShard(1, 1);
            }
            catch (FormatException e)
            {
                Log.Error("--shard: {Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(shards) is { } count && parse.GetValue(shard) is null && Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX") is null)
            {
                Log.Error("--shards {Count}: K comes from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), which is not set; give --shard K/{Count}", count, count);
                return ExitCodes.BadInput;
            }

            if (part is not null && parse.GetValue(output) is null)
            {
                Log.Error("--shard {Shard}: give --out DIR, the folder the shards share (part-{Index}-of-{Count}.parquet goes there)", part, part.Index, part.Count);
                return ExitCodes.BadInput;
            }

            if (part is not null && parse.GetValue(report) is not null)
            {
                Log.Error("--report: a shard has only some rows; write the report with 'evaluate merge {Out} --report DIR'", parse.GetValue(output)!.FullName);
                return ExitCodes.BadInput;
            }

            var directories = parse.GetValue(data)!;
            var request = new EvaluateRequest(
                parse.GetValue(pipeline)!.FullName,
                directories[0].FullName,
                parse.GetValue(protocol) switch { "pairs" => EvaluationProtocol.Pairs, "sources" => EvaluationProtocol.Sources, _ => EvaluationProtocol.Loso },
                OptionConventions.List(parse.GetValue(methods)) is { Length: > 0 } m ? m : null,
                seedList,
                labeledCounts[0],
                parse.GetValue(report)?.FullName,
                parse.GetValue(parallel))
            {
                TargetLabeledCurve = labeledCounts.Length > 1 ? labeledCounts : null,
                TargetHoldoutPerClass = parse.GetValue(holdout),
                SourcesDirectory = parse.GetValue(sources)?.FullName,
                MoreDataDirectories = directories.Skip(1).Select(d => d.FullName).ToArray(),
                SourceRuns = parse.GetValue(sourceRuns) is { } runs ? runs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null,
                Shard = part,
                OutputDirectory = parse.GetValue(output)?.FullName,
                FeatureCacheDirectory = parse.GetValue(featureCache)?.FullName ?? (parse.GetValue(output) is { } o ? Path.Combine(o.FullName, "features") : null),
            };
            using var factory = new SerilogLoggerFactory(Log.Logger);
            try
            {
                if (part is not null)
                {
                    var written = await ProgressDisplay.RunAsync("evaluate", progress =>
                        Task.Run(() => Evaluate.RunShardAsync(request, factory.CreateLogger("evaluate"), progress, cancellationToken), cancellationToken));
                    if (parse.GetValue(json))
                    {
                        Console.Out.WriteLine(JsonSerializer.Serialize(new { part = written.PartPath, shard = part.ToString(), units = written.Units, total_units = written.TotalUnits, rows = written.Rows }));
                    }

                    return ExitCodes.Success;
                }

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
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (part is null)
                {
                    Log.Warning("eegdann: stopped (SIGTERM or Ctrl-C) before the evaluation finished; nothing was written (with --out DIR an evaluation keeps the runs it finishes, and the same command then computes only the rest)");
                }

                // A shard has said which runs it keeps for the next attempt.
                return ExitCodes.Cancelled;
            }
        });
        command.Subcommands.Add(CreateMerge());
        return command;
    }

    /// <summary><c>eegdann evaluate merge DIR [--report DIR] [--json]</c>: the shards' part files as one evaluation.</summary>
    private static Command CreateMerge()
    {
        var folder = new Argument<DirectoryInfo>("DIR") { Description = "The folder the shards wrote their part-K-of-N.parquet files to (--out)." };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write the report (as an unsharded evaluate --report) into this directory." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (rows, summary, default_method) on stdout, as evaluate --json." };
        var merge = new Command("merge", "Check that every unit of a sharded evaluation is there exactly once (naming missing or repeated shards), merge the parts, and print and report the result as an unsharded run would.");
        merge.Arguments.Add(folder);
        merge.Options.Add(report);
        merge.Options.Add(json);
        merge.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(folder)!;
            try
            {
                var outcome = await EvaluationParts.MergeAsync(dir.FullName, cancellationToken);
                if (outcome.Result is not { } result)
                {
                    foreach (string problem in outcome.Problems)
                    {
                        Log.Error("{Problem}", problem);
                    }

                    return ExitCodes.BadInput;
                }

                Log.Information("Merged {Parts} parts, {Rows} rows: {Summary}", outcome.Parts.Count, result.Rows.Count, string.Join(", ", result.Methods.Select(m => $"{m} {result.Summary[m].Mean:F3}")));
                if (parse.GetValue(report) is { } reportDirectory)
                {
                    await EvaluationReport.WriteAsync(result, reportDirectory.FullName, cancellationToken);
                    Log.Information("Wrote the report to {Directory}", reportDirectory.FullName);
                }

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
        return merge;
    }
}
