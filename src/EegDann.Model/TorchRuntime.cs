using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>What a check of the TorchSharp native runtime found.</summary>
/// <param name="TorchSharpVersion">The managed TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">The libtorch version TorchSharp reports.</param>
/// <param name="Threads">Intra-op threads libtorch uses.</param>
/// <param name="Gradient">The gradient of sum(x²) at x = [1, 2, 3], expected [2, 4, 6].</param>
/// <param name="Elapsed">Time for the load, the tensor and the backward pass.</param>
public sealed record TorchRuntimeReport(string TorchSharpVersion, string LibTorchVersion, int Threads, float[] Gradient, TimeSpan Elapsed);

/// <summary>
/// Loads the TorchSharp native runtime and proves it works: creates a tensor and runs a backward
/// pass. On Debian 12 this only succeeds when the build has patched libLibTorchSharp.so (README,
/// "TorchSharp on Debian 12").
/// </summary>
public static class TorchRuntime
{
    /// <summary>
    /// Sets libtorch's intra-op thread count for this process (a process-wide setting: call it at
    /// start-up). Small networks train and decode fastest on one thread, and training is
    /// reproducible for a given thread count.
    /// </summary>
    /// <param name="threads">Threads, ≥ 1.</param>
    public static void UseThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        set_num_threads(threads);
    }

    /// <summary>Loads libtorch, computes d/dx sum(x²) at [1, 2, 3] and reports the result.</summary>
    /// <exception cref="InvalidOperationException">When the native runtime cannot be loaded; the message says why.</exception>
    public static TorchRuntimeReport Check()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var scope = NewDisposeScope();
            var x = tensor(new float[] { 1f, 2f, 3f }, requires_grad: true);
            var y = (x * x).sum();
            y.backward();
            float[] gradient = x.grad!.data<float>().ToArray();
            return new TorchRuntimeReport(
                typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
                __version__,
                get_num_threads(),
                gradient,
                clock.Elapsed);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            throw new InvalidOperationException(
                "TorchSharp's native runtime did not load: " + (e.InnerException?.Message ?? e.Message) +
                " On Debian 12 and other systems whose libstdc++ lacks GLIBCXX_3.4.32, build EegDann with 'dotnet build' " +
                "(which patches libLibTorchSharp.so in the output) rather than copying the NuGet files by hand.", e);
        }
    }
}
