using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>How the control thread (filters → windows → decoder → output) is scheduled.</summary>
public enum ControlThreadScheduling
{
    /// <summary>The system's normal time sharing.</summary>
    Normal,

    /// <summary>Normal time sharing with a lower nice value (<see cref="RealtimeOptions.Nice"/>; below 0 needs CAP_SYS_NICE).</summary>
    Nice,

    /// <summary>Linux real-time FIFO at <see cref="RealtimeOptions.Priority"/> (needs CAP_SYS_NICE): time-sharing processes cannot preempt it.</summary>
    Fifo,

    /// <summary>Linux real-time round robin at <see cref="RealtimeOptions.Priority"/> (needs CAP_SYS_NICE).</summary>
    RoundRobin,
}

/// <summary>
/// Section <c>Daemon:Realtime</c>: scheduling of the control path's two threads — acquisition
/// (the source's reads; a chunk is stamped on arrival there and handed over) and the control
/// thread (filters → windows → decoder → datagram). On a busy machine the latency tail is set by
/// how soon the scheduler runs them; a real-time policy keeps ordinary processes from preempting
/// them. Training and recording keep normal priority, and an unpaced replay runs both threads with
/// normal time sharing (<see cref="EegDann.Daemon.Processing.ControlPathScheduling"/>). If the
/// raise is not permitted, the daemon logs it per thread and runs normally.
/// </summary>
public sealed class RealtimeOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Realtime";

    /// <summary>The control thread's scheduling.</summary>
    public ControlThreadScheduling Scheduling { get; set; } = ControlThreadScheduling.Normal;

    /// <summary>Nice value for <see cref="ControlThreadScheduling.Nice"/> (−20 highest … 19 lowest).</summary>
    [Range(-20, 19)]
    public int Nice { get; set; } = -10;

    /// <summary>Real-time priority for <see cref="ControlThreadScheduling.Fifo"/> and <see cref="ControlThreadScheduling.RoundRobin"/> (1 … 99; keep it below the kernel's interrupt threads, 50).</summary>
    [Range(1, 99)]
    public int Priority { get; set; } = 20;
}

/// <summary>Validates <see cref="RealtimeOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class RealtimeOptionsValidator : IValidateOptions<RealtimeOptions>;
