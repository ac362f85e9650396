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

    /// <summary>Runs <paramref name="work"/> on a new low-priority thread.</summary>
    public static Task<T> Run<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Lower();
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
            Priority = ThreadPriority.Lowest,
        };
        thread.Start();
        return done.Task;
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

    private static void Lower()
    {
        if (OperatingSystem.IsLinux())
        {
            // Best effort: if it fails the work still runs, at normal priority.
            _ = SetPriority(PrioProcess, GetTid(), LowestNice);
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);
}
