using System.Runtime.InteropServices;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// Runs long background work (training) on its own thread at the lowest scheduling priority, so
/// the control path keeps the processors. On Linux the thread's nice value is raised to 19
/// (.NET's thread priority has no effect there without privileges); elsewhere
/// <see cref="ThreadPriority.Lowest"/> is used.
/// </summary>
internal static partial class LowPriorityThread
{
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>
    /// Runs asynchronous <paramref name="work"/> on a new low-priority thread; its continuations
    /// (every <c>await</c> that does not opt out of the context) come back to that thread, so the
    /// whole of the work, not just its first synchronous part, stays at low priority.
    /// </summary>
    public static Task<T> Run<T>(string name, Func<Task<T>> work) => Run(name, LowestNice, work);

    /// <summary>As <see cref="Run{T}(string, Func{Task{T}})"/>, at nice value <paramref name="nice"/> (0 … 19) on Linux.</summary>
    public static Task<T> Run<T>(string name, int nice, Func<Task<T>> work)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nice);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, LowestNice);
        return EegDann.Daemon.Processing.DedicatedThread.Run(name, () => Lower(nice), work, nice == 0 ? ThreadPriority.Normal : ThreadPriority.Lowest);
    }

    /// <summary>The calling thread's nice value on Linux, or null elsewhere.</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Marshal.SetLastPInvokeError(0);
        int nice = GetPriority(PrioProcess, GetTid());
        return Marshal.GetLastPInvokeError() == 0 ? nice : null;
    }

    private static void Lower(int nice)
    {
        if (OperatingSystem.IsLinux() && nice != 0)
        {
            // Best effort: if it fails the work still runs, at normal priority.
            _ = SetPriority(PrioProcess, GetTid(), nice);
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);
}
