using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Model;

namespace EegDann.Bench;

/// <summary>
/// Latency of one live decision's forward pass (<see cref="ModelPredictor"/>, one sample, one
/// libtorch thread): an MLP on 64 log-variance features, p50/p99 over many calls.
/// </summary>
public sealed class ModelPredictBench : IBench
{
    public string Name => "model-predict";

    public string Description => "one-sample forward pass latency p50/p99 (MLP on 64 features), 1 thread";

    public Task<int> RunAsync(BenchContext context, string[] args)
    {
        int calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        TorchRuntime.UseThreads(1);
        var results = new Dictionary<string, object>
        {
            ["mlp_64_features"] = Measure("MLP 64 → 32 → 32", [64], new MlpExtractorSpec([32, 32]), calls),
        };
        string file = Path.Combine(context.ResultsDirectory, "model-predict.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new { calls, threads = 1, results }, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        return Task.FromResult(0);
    }

    private static object Measure(string name, int[] shape, ExtractorSpec extractor, int calls)
    {
        var random = new Random(1);
        int size = shape.Aggregate(1, (a, b) => a * b);
        int n = 64;
        var values = Enumerable.Range(0, n * size).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i % 2).ToArray();
        var samples = new SampleMatrix(values, n, shape);
        var problem = new TrainingProblem(new LabeledSamples(samples, labels), samples, ["left", "right"]);
        using var model = Trainers.Train(problem, new TrainingOptions { Method = TrainingMethod.SourceOnly, Epochs = 1, BatchSize = 32, Extractor = extractor }).RequireModel();
        var predictor = model.CreatePredictor();
        var probabilities = new float[2];
        var latencies = new double[calls];
        for (int i = 0; i < 200; i++)
        {
            predictor.PredictProbabilities(samples.Sample(i % n), probabilities);
        }

        for (int i = 0; i < calls; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            predictor.PredictProbabilities(samples.Sample(i % n), probabilities);
            latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        Array.Sort(latencies);
        double p50 = latencies[calls / 2], p99 = latencies[(int)(calls * 0.99)], max = latencies[^1];
        Console.WriteLine($"{name,-60} p50 {p50,8:F1} µs   p99 {p99,8:F1} µs   max {max,8:F1} µs");
        return new { p50_us = p50, p99_us = p99, max_us = max };
    }
}
