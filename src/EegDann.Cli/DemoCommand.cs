using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Model;
using EegDann.Pipelines.Demos;
using EegDann.Recordings;
using Serilog;

namespace EegDann.Cli;

/// <summary><c>eegdann demo blobs</c>: the DANN article's two-blob toy experiment.</summary>
public static class DemoCommand
{
    /// <summary>Creates the <c>demo</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var demo = new Command("demo", "Demonstrations on synthetic data.");
        demo.Subcommands.Add(Blobs());
        return demo;
    }

    private static Command Blobs()
    {
        var seeds = new Option<string>("--seeds") { Description = "Seeds of the data and of training (≥ 0), e.g. 0, 0,1,2 or 0-4: one run each and, for several, the median target accuracies.", DefaultValueFactory = _ => "0" }.WithDeprecatedAliases("blobs");
        var json = new Option<bool>("--json") { Description = "Print the results as JSON on stdout." };
        var shift = new Option<string?>("--target-shift")
        {
            Description = "Translation X,Y of the target domain (default 1.5,1.5; the Python reference dann_reference.py uses 1.5,1.0).",
        };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write a PNG of source and target points with both learned decision boundaries (with several seeds: the first)." };
        var command = new Command(
            "blobs",
            "Two Gaussian classes per domain (scikit-learn make_blobs: centres (−1, 0) and (1, 0), σ 0.35, 500 points), the target shifted by (1.5, 1.5); " +
            "a network trained on the source only, and with DANN on the source plus the unlabeled target, both scored on the target.");
        command.Options.Add(seeds);
        command.Options.Add(shift);
        command.Options.Add(json);
        command.Options.Add(plot);
        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<int> list;
            try
            {
                list = SeedList.Parse(parse.GetValue(seeds)!);
            }
            catch (FormatException e)
            {
                Log.Error("--seeds: {Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            if (list.Any(s => s < 0))
            {
                Log.Error("Seeds must be ≥ 0, got {Seeds}", string.Join(",", list));
                return ExitCodes.BadInput;
            }

            var targetShift = TwoBlobs.DefaultTargetShift;
            if (parse.GetValue(shift) is { } shiftText)
            {
                var parts = shiftText.Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out double sx) ||
                    !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out double sy) || !double.IsFinite(sx) || !double.IsFinite(sy))
                {
                    Log.Error("--target-shift must be two numbers X,Y such as 1.5,1.5; got {Shift}", shiftText);
                    return ExitCodes.BadInput;
                }

                targetShift = (sx, sy);
            }

            var plotFile = parse.GetValue(plot);
            if (plotFile is { Directory.Exists: false })
            {
                Log.Error("Cannot write the plot {Plot}: the folder {Folder} does not exist", plotFile.FullName, plotFile.DirectoryName);
                return ExitCodes.BadInput;
            }

            // The toy network is tiny: one libtorch thread is fastest and keeps runs identical across machines.
            TorchRuntime.UseThreads(1);
            Log.Information("Two blobs: seeds {Seeds}, target shift ({ShiftX}, {ShiftY}), {Epochs} epochs, batches of {Batch} + {Batch}, SGD μ0 {LearningRate} with the paper's λ and learning-rate schedules",
                string.Join(",", list), targetShift.X, targetShift.Y, BlobsDemo.Settings.Epochs, BlobsDemo.Settings.BatchSize, BlobsDemo.Settings.BatchSize, BlobsDemo.Settings.LearningRate);
            var results = new List<BlobsDemoResult>();
            try
            {
                foreach (int s in list)
                {
                    bool draw = plotFile is not null && results.Count == 0;
                    var result = await ProgressDisplay.RunAsync($"demo blobs seed {s}", progress => Task.Run(() => BlobsDemo.Run(s, draw, targetShift, progress, cancellationToken), cancellationToken));
                    foreach (var m in result.Methods)
                    {
                        Log.Information("Seed {Seed}, {Method}: target accuracy {TargetAccuracy:F3}, source accuracy {SourceAccuracy:F3}, final domain accuracy {DomainAccuracy}",
                            s, m.Method.Name(), m.TargetAccuracy, m.SourceAccuracy, m.Final.DomainAccuracy?.ToString("F3") ?? "n/a");
                    }

                    results.Add(result);
                }
            }
            catch (TrainingFailedException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.Failed;
            }

            if (plotFile is not null)
            {
                try
                {
                    await AtomicFile.WriteAllBytesAsync(plotFile.FullName, results[0].Png!, cancellationToken);
                    Log.Information("Wrote {Plot}", plotFile.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Log.Error("Cannot write the plot {Plot}: {Problem}", plotFile.FullName, e.Message);
                    return ExitCodes.BadInput;
                }
            }

            double Median(TrainingMethod method) => MedianOf(results.Select(r => r[method].TargetAccuracy));
            if (results.Count > 1)
            {
                Log.Information("Median target accuracy over seeds {Seeds}: source_only {SourceOnly:F3}, dann {Dann:F3}",
                    string.Join(",", list), Median(TrainingMethod.SourceOnly), Median(TrainingMethod.Dann));
            }

            if (parse.GetValue(json))
            {
                JsonNode output = results.Count == 1
                    ? ToJson(results[0])
                    : new JsonObject
                    {
                        ["runs"] = new JsonArray(results.Select(r => (JsonNode)ToJson(r)).ToArray()),
                        ["median_target_accuracy"] = new JsonObject
                        {
                            [TrainingMethod.SourceOnly.Name()] = Median(TrainingMethod.SourceOnly),
                            [TrainingMethod.Dann.Name()] = Median(TrainingMethod.Dann),
                        },
                    };
                Console.Out.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static JsonObject ToJson(BlobsDemoResult result)
    {
        var o = new JsonObject
        {
            ["seed"] = result.Seed,
            ["data"] = new JsonObject
            {
                ["samples_per_domain"] = TwoBlobs.SamplesPerDomain,
                ["centers"] = new JsonArray(TwoBlobs.Centers.Select(c => (JsonNode)new JsonArray(c.X, c.Y)).ToArray()),
                ["cluster_std"] = TwoBlobs.ClusterStd,
                ["target_shift"] = new JsonArray(result.TargetShift.X, result.TargetShift.Y),
            },
        };
        foreach (var m in result.Methods)
        {
            o[m.Method.Name()] = new JsonObject
            {
                ["target_accuracy"] = m.TargetAccuracy,
                ["source_accuracy"] = m.SourceAccuracy,
                ["final_label_loss"] = m.Final.LabelLoss,
                ["final_domain_loss"] = m.Final.DomainLoss,
                ["final_domain_accuracy"] = m.Final.DomainAccuracy,
                ["final_lambda"] = m.Final.Lambda,
                ["steps"] = m.Steps,
                ["seconds"] = m.Seconds,
            };
        }

        return o;
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
