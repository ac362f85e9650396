using System.CommandLine;
using System.Text.Json;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.UseCases;
using Serilog;
using Serilog.Extensions.Logging;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann calibrate-new-subject --pipeline P --source REC... --target REC... --model MODEL
/// [--report DIR] [--methods M] [--target-labeled K] [--seeds N]</c>.
/// </summary>
public static class CalibrateCommand
{
    private const string Name = "calibrate-new-subject";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var pipeline = new Option<FileInfo>("--pipeline") { Description = "The pipeline file (pipelines/*.json).", Required = true };
        var sources = new Option<FileInfo[]>("--source")
        {
            Description = "Labeled source recordings (EegDann Parquet with events, or EDF/BDF/GDF); one or more subjects.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var targets = new Option<FileInfo[]>("--target")
        {
            Description = "The new subject's recordings; used without their labels (cue events, if any, only score the report).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<FileInfo>("--model") { Description = "The model file to write (atomically; an existing file is replaced only on success).", Required = true }.WithDeprecatedAliases(Name);
        var report = new Option<DirectoryInfo?>("--report") { Description = "The folder for the report's files (MODEL.report.json, .md, .html and PNGs; created if missing); default: beside the model." };
        var method = new Option<string[]>("--methods")
        {
            Description = $"The model's method (one name; the baselines are trained beside it): {CalibrationMethod.Grammar}, a network method (_crops: cropped training on the windows inside each cue, _st: self-training, _refit: label head refitted on the --target-labeled epochs, _ba: bias re-estimated from the target's unlabeled epochs); default: the pipeline's own method.",
            AllowMultipleArgumentsPerToken = true,
        }.WithDeprecatedAliases(Name);
        var labeled = new Option<int>("--target-labeled") { Description = "Semi-supervised: K cue epochs per class of the target (drawn at random from the seed) join training and are not scored.", DefaultValueFactory = _ => 0 };
        var holdout = new Option<int>("--target-holdout") { Description = "K labeled target epochs per class (drawn from the seed) kept only to estimate the accuracy before deployment; never in training.", DefaultValueFactory = _ => 0 };
        var seed = new Option<string?>("--seeds") { Description = "The seed (one: this command trains one model; default: the pipeline's)." }.WithDeprecatedAliases(Name);
        var baselines = new Option<bool>("--no-baselines") { Description = "Train only the chosen method (faster; the report then has no baselines)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "Where the networks train: cpu, cuda or cuda:N (CUDA needs a build with libtorch's CUDA runtime: docs/torchsharp.md, \"GPUs\").", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print the report's JSON on stdout." };
        var command = new Command(
            Name,
            "Adapt a decoder trained on labeled source subjects to a new subject from the new subject's unlabeled recordings; write the model file and a report " +
            "(JSON, Markdown, PNGs) with the baselines trained on the same data.");
        foreach (var option in new Option[] { pipeline, sources, targets, output, report, method, labeled, holdout, seed, baselines, threads, device, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var methods = OptionConventions.List(parse.GetValue(method));
            if (methods.Length > 1)
            {
                Log.Error("--methods {Methods}: calibrate-new-subject trains one model; give one method (the baselines are trained beside it unless --no-baselines)", string.Join(",", methods));
                return ExitCodes.BadInput;
            }

            int? seedValue = null;
            if (parse.GetValue(seed) is { } seedText)
            {
                IReadOnlyList<int> seeds;
                try
                {
                    seeds = SeedList.Parse(seedText);
                }
                catch (FormatException e)
                {
                    Log.Error("--seeds: {Problem}", e.Message);
                    return ExitCodes.BadInput;
                }

                if (seeds.Count > 1)
                {
                    Log.Error("--seeds {Seeds}: calibrate-new-subject trains one model; give one seed", seedText);
                    return ExitCodes.BadInput;
                }

                seedValue = seeds[0];
            }

            string? reportPath = null;
            if (parse.GetValue(report) is { } reportDirectory)
            {
                Directory.CreateDirectory(reportDirectory.FullName);
                reportPath = Path.Combine(reportDirectory.FullName, Path.GetFileNameWithoutExtension(parse.GetValue(output)!.Name) + ".report.json");
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

            var request = new CalibrateRequest
            {
                PipelinePath = parse.GetValue(pipeline)!.FullName,
                Sources = parse.GetValue(sources)!.Select(f => RecordingInput.FromPath(f.FullName)).ToArray(),
                Targets = parse.GetValue(targets)!.Select(f => RecordingInput.FromPath(f.FullName)).ToArray(),
                ModelPath = parse.GetValue(output)!.FullName,
                ReportPath = reportPath,
                Method = methods.FirstOrDefault(),
                TargetLabeledPerClass = parse.GetValue(labeled),
                TargetHoldoutPerClass = parse.GetValue(holdout),
                Seed = seedValue,
                Baselines = !parse.GetValue(baselines),
            };
            using var factory = new SerilogLoggerFactory(Log.Logger);
            try
            {
                using var outcome = await ProgressDisplay.RunAsync("calibrate-new-subject", progress =>
                    // Training does not poll the token between steps: on SIGTERM the command returns at once
                    // (the work's own writes observe the token, so it writes nothing) and the process exits.
                    Task.Run(() => CalibrateNewSubject.RunAsync(request, factory.CreateLogger("calibrate"), progress, cancellationToken), cancellationToken).WaitAsync(cancellationToken));
                foreach (var file in outcome.WrittenFiles)
                {
                    Log.Information("Wrote {File}", file);
                }

                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(outcome.Report.Json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                }

                return ExitCodes.Success;
            }
            catch (CalibrationInputException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }
            catch (CalibrationFailedException e)
            {
                Log.Error("Calibration failed, nothing was written: {Problem}", e.Message);
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
