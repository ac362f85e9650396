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
/// pass. On Debian 12 this only succeeds when the build has patched libLibTorchSharp.so (docs/torchsharp.md,
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

    /// <summary>
    /// Makes <paramref name="setting"/> (<c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>) the device every
    /// network, parameter and batch of this process is created on (a process-wide setting: call it
    /// at start-up, before any model is made or loaded). Results are copied back to the host
    /// (<see cref="TensorHost"/>), so callers see arrays either way. Batch sizes never depend on it.
    /// </summary>
    /// <param name="setting">The device as written in the setting.</param>
    /// <param name="settingName">The setting's name for messages, e.g. <c>--device</c> or <c>Daemon:Decoder:Device</c>.</param>
    /// <returns>The device in use.</returns>
    /// <exception cref="TorchDeviceException">
    /// When the setting is not a device, or asks for CUDA and the CUDA runtime of libtorch is absent
    /// (this build carries <c>libtorch-cpu-linux-x64</c>) or has fewer devices than N + 1.
    /// </exception>
    public static Device UseDevice(string? setting, string settingName)
    {
        var (type, index) = ParseDevice(setting, settingName);
        if (type == DeviceType.CUDA)
        {
            bool available;
            try
            {
                available = cuda.is_available();
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                available = false;
            }

            if (!available)
            {
                throw new TorchDeviceException(
                    $"{settingName} = '{setting}': CUDA is not available: this build carries libtorch's CPU runtime (libtorch-cpu-linux-x64), " +
                    "or no NVIDIA driver and GPU are present. On a GPU machine build with -p:EegDannTorchRuntime=cuda (docs/torchsharp.md, \"GPUs\"), or set " +
                    $"{settingName} to cpu.");
            }

            int count = cuda.device_count();
            if (index >= count)
            {
                throw new TorchDeviceException($"{settingName} = '{setting}': there are {count} CUDA devices (cuda:0 to cuda:{count - 1}).");
            }
        }

        var device = type == DeviceType.CPU ? CPU : new Device(DeviceType.CUDA, Math.Max(index, 0));
        set_default_device(device);
        return device;
    }

    /// <summary>
    /// Checks a device setting without touching libtorch: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>
    /// (N ≥ 0; case-insensitive). Returns the problem, naming the setting, or null.
    /// </summary>
    public static string? DeviceProblem(string? setting, string settingName)
    {
        try
        {
            ParseDevice(setting, settingName);
            return null;
        }
        catch (TorchDeviceException e)
        {
            return e.Message;
        }
    }

    private static (DeviceType Type, int Index) ParseDevice(string? setting, string settingName)
    {
        string text = (setting ?? string.Empty).Trim().ToLowerInvariant();
        if (text == "cpu")
        {
            return (DeviceType.CPU, -1);
        }

        if (text == "cuda")
        {
            return (DeviceType.CUDA, 0);
        }

        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
        {
            return (DeviceType.CUDA, index);
        }

        throw new TorchDeviceException($"{settingName} = '{setting}' is not a device: use cpu, cuda or cuda:N (N = 0, 1, …).");
    }

    /// <summary>Loads libtorch, computes d/dx sum(x²) at [1, 2, 3] and reports the result.</summary>
    /// <exception cref="TorchRuntimeUnavailableException">When the native runtime cannot be loaded; the message says why.</exception>
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
            throw new TorchRuntimeUnavailableException(
                "TorchSharp's native runtime did not load: " + (e.InnerException?.Message ?? e.Message) +
                " On Debian 12 and other systems whose libstdc++ lacks GLIBCXX_3.4.32, build EegDann with 'dotnet build' " +
                "(which patches libLibTorchSharp.so in the output) rather than copying the NuGet files by hand.", e);
        }
    }
}

/// <summary>
/// TorchSharp's native runtime cannot be loaded on this machine (the message says why and what to
/// do): the environment, not a bug. An <see cref="InvalidOperationException"/> of its own type, so that
/// <c>eegdann doctor</c> reports it and nothing else as the machine's problem.
/// </summary>
public sealed class TorchRuntimeUnavailableException(string message, Exception inner) : InvalidOperationException(message, inner);

/// <summary>A device setting that is not a device, or names a device this process cannot use; the message names the setting.</summary>
public sealed class TorchDeviceException(string message) : Exception(message);

/// <summary>Copies tensors to host memory whatever device they live on.</summary>
public static class TensorHost
{
    /// <summary>The values of <paramref name="tensor"/> as a new array (copied from the device when not on the CPU).</summary>
    public static T[] ToHostArray<T>(this Tensor tensor)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.device_type == DeviceType.CPU)
        {
            return tensor.data<T>().ToArray();
        }

        using var host = tensor.cpu();
        return host.data<T>().ToArray();
    }

    /// <summary>Copies the float32 values of <paramref name="tensor"/> into <paramref name="destination"/> (through the host when not on the CPU).</summary>
    public static void CopyToHost(this Tensor tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.device_type == DeviceType.CPU)
        {
            tensor.data<float>().CopyTo(destination);
            return;
        }

        using var host = tensor.cpu();
        host.data<float>().CopyTo(destination);
    }
}
