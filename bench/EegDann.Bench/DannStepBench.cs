using System.Globalization;
using System.Text.Json;
using EegDann.Daemon.Benchmarks;

namespace EegDann.Bench;

/// <summary>
/// Time per training step of <c>source_only</c> and <c>dann</c> on the two-blob problem beside the
/// PyTorch reference bench/python/dann_reference.py on the same data in the same run, rounds
/// interleaved (<see cref="DannStepTiming"/>, which <c>eegdann bench</c> also runs).
/// </summary>
public sealed class DannStepBench : IBench
{
    public string Name => "dann-step";

    public string Description => "time per training step (source_only, dann; 2→32→32, batch 64+64, 1 thread) vs PyTorch dann_reference.py; args: [ROUNDS (3)]";

    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        string script = Path.Combine(context.RepositoryRoot, DannStepTiming.ReferenceScript);
        var result = await DannStepTiming.MeasureAsync(rounds, 200, context.Python, script, Console.WriteLine);
        if (result.PyTorchMissing is { } reason)
        {
            Console.WriteLine($"PyTorch reference not run: {reason}. EegDann only.");
        }

        Console.WriteLine();
        Console.WriteLine($"{"method",-12} {"EegDann µs/step",16} {"PyTorch µs/step",16} {"speed-up",9} {"target acc (ours / ref)",24}");
        var results = new Dictionary<string, object>();
        foreach (var m in result.Methods)
        {
            string theirs = m.PyTorchSecondsPerStep is { } t ? (t * 1e6).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
            string ratio = m.Speedup is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";
            string refAccuracy = m.PyTorchTargetAccuracy is { } a ? a.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine($"{m.Method,-12} {m.SecondsPerStep * 1e6,16:F1} {theirs,16} {ratio,9} {m.TargetAccuracy,11:F3} / {refAccuracy}");
            results[m.Method] = new { eegdann_seconds_per_step = m.SecondsPerStep, pytorch_seconds_per_step = m.PyTorchSecondsPerStep, speedup = m.Speedup, eegdann_target_accuracy = m.TargetAccuracy, pytorch_target_accuracy = m.PyTorchTargetAccuracy };
        }

        Console.WriteLine("(median over rounds; EegDann's time excludes its per-epoch diagnostics, PyTorch's loop has none. The reference's source_only step");
        Console.WriteLine(" also runs the domain head on 128 rows without using it; EegDann's source_only step runs the label path on the 64 source rows only.)");
        string file = Path.Combine(context.ResultsDirectory, "dann-step.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { rounds, seed = 0, threads = 1, results }, BenchJson.Indented));
        Console.WriteLine($"wrote {file}");
        return 0;
    }
}
