using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Model;

namespace EegDann.Bench;

/// <summary>
/// Time per training step of the stacked trainer (M networks as one batched computation) against
/// training the same M networks one after the other through <see cref="Trainers"/> (stacks of one), on data shaped
/// like a leave-one-subject-out fold of the filter-bank pipeline (405 source rows, 45 target rows,
/// 320 features; MLP 320 → 16, domain head 16 → 16 → 2, batches of 32 + 32).
/// </summary>
public sealed class StackedTrainBench : IBench
{
    /// <inheritdoc />
    public string Name => "stacked-train";

    /// <inheritdoc />
    public string Description => "time per step of M DANN networks trained as one stack vs one after the other (LOSO-fold-shaped data, one thread)";

    /// <inheritdoc />
    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        TorchRuntime.UseThreads(1);
        var random = new Random(1);
        SampleMatrix Matrix(int n) => new(Enumerable.Range(0, n * 320).Select(_ => (float)random.NextDouble()).ToArray(), n, 320);
        var labels = Enumerable.Range(0, 405).Select(i => i % 2).ToArray();
        var domains = Enumerable.Range(0, 405).Select(i => i % 9).ToArray();
        var problem = new TrainingProblem(new LabeledSamples(Matrix(405), labels, domains), Matrix(45), ["left", "right"]);
        var options = new TrainingOptions
        {
            Method = TrainingMethod.Dann,
            Epochs = 10,
            BatchSize = 32,
            WeightDecay = 1e-3,
            Extractor = new MlpExtractorSpec([16], 0.5),
            DomainHiddenSizes = [16],
            DiagnosticSamples = 128,
        };
        var results = new JsonObject { ["load_average"] = File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown" };
        Console.WriteLine($"{"networks",8} {"stacked ms/step",16} {"one by one ms/step",19} {"speed-up",9}");
        foreach (int m in new[] { 1, 5, 15, 30 })
        {
            var members = Enumerable.Range(0, m).Select(s => new StackedMember(problem, options with { Seed = s })).ToArray();
            var clock = Stopwatch.StartNew();
            var stacked = StackedMlpTrainer.Train(members);
            double stackedMs = clock.Elapsed.TotalMilliseconds / stacked[0].Steps;
            foreach (var r in stacked)
            {
                r.Model?.Dispose();
            }

            int alone = Math.Min(m, 5);
            clock.Restart();
            long steps = 0;
            for (int s = 0; s < alone; s++)
            {
                var single = Trainers.Train(problem, options with { Seed = s });
                steps += single.Steps;
                single.Model?.Dispose();
            }

            double singleMs = clock.Elapsed.TotalMilliseconds / steps * m;
            Console.WriteLine($"{m,8} {stackedMs,16:F2} {singleMs,19:F2} {singleMs / stackedMs,9:F1}");
            results[m.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["stacked_ms_per_step"] = Math.Round(stackedMs, 3), ["one_by_one_ms_per_step"] = Math.Round(singleMs, 3) };
        }

        await File.WriteAllTextAsync(Path.Combine(context.ResultsDirectory, "stacked-train.json"), results.ToJsonString(BenchJson.Indented));
        return 0;
    }
}
