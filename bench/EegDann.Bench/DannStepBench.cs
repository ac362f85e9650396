using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Model;

namespace EegDann.Bench;

/// <summary>
/// Time per training step of <c>source_only</c> and <c>dann</c> on the two-blob problem (2 → 32 → 32,
/// domain head 32 → 32 → 2, batches of 64 + 64, 200 epochs, one libtorch thread) beside the PyTorch
/// reference ../shared/peers/dann_reference.py on the same data in the same run, rounds interleaved.
/// </summary>
public sealed class DannStepBench : IBench
{
    public string Name => "dann-step";

    public string Description => "time per training step (source_only, dann; 2→32→32, batch 64+64, 1 thread) vs PyTorch dann_reference.py";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int seed = 0;
        TorchRuntime.UseThreads(1);
        // The reference script's data: its shift (1.5, 1.0).
        var data = TwoBlobs.Generate(seed, TwoBlobs.ReferenceTargetShift);
        var problem = new TrainingProblem(new LabeledSamples(data.Source, data.SourceLabels), data.Target, TwoBlobs.ClassNames);
        var settings = new TrainingOptions { Seed = seed };
        string? script = context.PeersDirectory is null ? null : Path.Combine(context.PeersDirectory, "dann_reference.py");
        bool reference = script is not null && File.Exists(script) && context.Python is not null;
        if (!reference)
        {
            Console.WriteLine("PyTorch reference not available (../shared/peers/dann_reference.py or /usr/bin/python3 missing): EegDann only.");
        }

        // Warm-up: JIT and libtorch's first-call costs.
        Train(problem, settings with { Epochs = 5, Method = TrainingMethod.Dann });
        Train(problem, settings with { Epochs = 5, Method = TrainingMethod.SourceOnly });

        var ours = new Dictionary<string, List<double>> { ["source_only"] = [], ["dann"] = [] };
        var theirs = new Dictionary<string, List<double>> { ["source_only"] = [], ["dann"] = [] };
        var accuracy = new Dictionary<string, (double Ours, double Theirs)>();
        for (int round = 1; round <= rounds; round++)
        {
            if (reference)
            {
                var json = await RunReference(context.Python!, script!, seed);
                foreach (var method in theirs.Keys)
                {
                    theirs[method].Add(json.GetProperty(method).GetProperty("seconds_per_step").GetDouble());
                    accuracy[method] = (accuracy.GetValueOrDefault(method).Ours, json.GetProperty(method).GetProperty("target_accuracy").GetDouble());
                }
            }

            foreach (var (method, name) in new[] { (TrainingMethod.SourceOnly, "source_only"), (TrainingMethod.Dann, "dann") })
            {
                var (perStep, acc) = Train(problem, settings with { Method = method }, data);
                ours[name].Add(perStep);
                accuracy[name] = (acc, accuracy.GetValueOrDefault(name).Theirs);
            }

            Console.WriteLine($"round {round}: EegDann source_only {ours["source_only"][^1] * 1e6:F0} µs, dann {ours["dann"][^1] * 1e6:F0} µs" +
                (reference ? $"; PyTorch source_only {theirs["source_only"][^1] * 1e6:F0} µs, dann {theirs["dann"][^1] * 1e6:F0} µs" : ""));
        }

        Console.WriteLine();
        Console.WriteLine($"{"method",-12} {"EegDann µs/step",16} {"PyTorch µs/step",16} {"speed-up",9} {"target acc (ours / ref)",24}");
        var results = new Dictionary<string, object>();
        foreach (var method in ours.Keys)
        {
            double a = Median(ours[method]);
            double? b = reference ? Median(theirs[method]) : null;
            string ratio = b is { } r ? $"{r / a:F2}×" : "n/a";
            Console.WriteLine($"{method,-12} {a * 1e6,16:F1} {(b is { } x ? (x * 1e6).ToString("F1", CultureInfo.InvariantCulture) : "n/a"),16} {ratio,9} {accuracy[method].Ours,11:F3} / {(reference ? accuracy[method].Theirs.ToString("F3", CultureInfo.InvariantCulture) : "n/a")}");
            results[method] = new { eegdann_seconds_per_step = a, pytorch_seconds_per_step = b, speedup = b / a, eegdann_target_accuracy = accuracy[method].Ours, pytorch_target_accuracy = reference ? accuracy[method].Theirs : (double?)null };
        }

        Console.WriteLine("(median over rounds; EegDann's time excludes its per-epoch diagnostics, PyTorch's loop has none. The reference's source_only step");
        Console.WriteLine(" also runs the domain head on 128 rows without using it; EegDann's source_only step runs the label path on the 64 source rows only.)");
        string file = Path.Combine(context.ResultsDirectory, "dann-step.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { rounds, seed, threads = 1, results }, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        return 0;
    }

    private static (double SecondsPerStep, double TargetAccuracy) Train(TrainingProblem problem, TrainingOptions options, BlobsData? data = null)
    {
        var result = Trainers.Train(problem, options);
        using var model = result.RequireModel();
        double accuracy = data is null ? double.NaN : model.Predict(data.Target).Zip(data.TargetLabels).Count(p => p.First == p.Second) / (double)data.TargetLabels.Length;
        return (result.StepTime.TotalSeconds / result.Steps, accuracy);
    }

    private static async Task<JsonElement> RunReference(string python, string script, int seed)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "blobs", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--threads", "1" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dann_reference.py failed ({process.ExitCode}): {stderr}");
        }

        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
