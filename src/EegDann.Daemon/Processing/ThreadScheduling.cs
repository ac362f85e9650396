using System.Runtime.InteropServices;
using EegDann.Daemon.Options;

namespace EegDann.Daemon.Processing;

/// <summary>Sets the calling thread's scheduling on Linux (sched_setscheduler, setpriority).</summary>
internal static partial class ThreadScheduling
{
    private const int SchedOther = 0;
    private const int SchedFifo = 1;
    private const int SchedRr = 2;
    private const int PrioProcess = 0;

    /// <summary>Applies <paramref name="options"/> to the calling thread.</summary>
    /// <returns>What was applied, or why not (for the log).</returns>
    public static (bool Applied, string Description) Apply(RealtimeOptions options)
    {
        if (options.Scheduling == ControlThreadScheduling.Normal)
        {
            return (true, "normal time sharing");
        }

        if (!OperatingSystem.IsLinux())
        {
            return (false, $"{options.Scheduling} scheduling is only supported on Linux");
        }

        int result;
        string what;
        if (options.Scheduling == ControlThreadScheduling.Nice)
        {
            what = $"nice {options.Nice}";
            result = SetPriority(PrioProcess, GetTid(), options.Nice);
        }
        else
        {
            int policy = options.Scheduling == ControlThreadScheduling.Fifo ? SchedFifo : SchedRr;
            what = $"{(policy == SchedFifo ? "SCHED_FIFO" : "SCHED_RR")} priority {options.Priority}";
            int priority = options.Priority;
            result = SetScheduler(0, policy, ref priority);
        }

        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return (false, $"{what} was refused (errno {errno}{(errno == 1 ? ": not permitted; it needs CAP_SYS_NICE, e.g. AmbientCapabilities=CAP_SYS_NICE in the systemd unit" : string.Empty)})");
        }

        return (true, what);
    }

    /// <summary>The calling thread's policy name and priority (for tests and logs).</summary>
    public static string Describe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "unknown";
        }

        int policy = GetScheduler(0);
        return policy switch
        {
            SchedOther => "SCHED_OTHER",
            SchedFifo => "SCHED_FIFO",
            SchedRr => "SCHED_RR",
            _ => $"policy {policy}",
        };
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int priority);

    [LibraryImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    private static partial int GetScheduler(int pid);
}
