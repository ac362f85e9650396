using System.Diagnostics;
using EegDann.Model;

namespace EegDann.Bench;

/// <summary>Time to load libtorch and run the first backward pass (cold start of every EegDann process that trains or decodes).</summary>
public sealed class TorchStartupBench : IBench
{
    public string Name => "torch-startup";

    public string Description => "cold load of TorchSharp + first tensor and backward pass";

    public Task<int> RunAsync(BenchContext context, string[] args)
    {
        var clock = Stopwatch.StartNew();
        var report = TorchRuntime.Check();
        Console.WriteLine($"libtorch {report.LibTorchVersion}, {report.Threads} threads: first backward after {clock.Elapsed.TotalMilliseconds:F0} ms");
        return Task.FromResult(0);
    }
}
