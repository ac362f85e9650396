using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Options;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The scheduling of the control path's threads — acquisition (the source's reads, where a chunk
/// is stamped on arrival) and the control thread (filters → windows → decoder → datagram) — both
/// of which a chunk passes between its arrival and its datagram.
/// </summary>
/// <remarks>
/// A live source gets the policy <see cref="RealtimeOptions"/> ask for on both threads: a thread at
/// normal priority between the arrival stamp and the hand-off would put the time-sharing
/// scheduler's slices (milliseconds on a busy machine) back into the latency. An unpaced replay
/// (speed 0) is a batch job whose threads never wait for the clock: at a real-time policy they
/// would keep the processors from every other process, so it runs with normal time sharing.
/// </remarks>
internal static class ControlPathScheduling
{
    /// <summary>What a control-path thread gets for a source of <paramref name="pacing"/>, and why when it differs from what was asked.</summary>
    public static (RealtimeOptions Options, string? Note) Effective(RealtimeOptions asked, SourcePacing pacing)
    {
        ArgumentNullException.ThrowIfNull(asked);
        if (pacing == SourcePacing.Unpaced && asked.Scheduling != ControlThreadScheduling.Normal)
        {
            return (new RealtimeOptions { Scheduling = ControlThreadScheduling.Normal, Nice = asked.Nice, Priority = asked.Priority }, $"{asked.Scheduling} is not applied to an unpaced replay (it never waits, so a real-time thread would take a processor from every other process)");
        }

        return (asked, null);
    }

    /// <summary>Applies the effective scheduling to the calling thread.</summary>
    /// <param name="asked">The settings.</param>
    /// <param name="pacing">The source's pacing.</param>
    /// <param name="apply">Sets the calling thread's scheduling (<see cref="ThreadScheduling.Apply"/>; tests pass a double).</param>
    /// <returns>Whether what was asked is in force, and a description for the log.</returns>
    public static (bool Applied, string Description) Apply(RealtimeOptions asked, SourcePacing pacing, Func<RealtimeOptions, (bool Applied, string Description)>? apply = null)
    {
        var (options, note) = Effective(asked, pacing);
        var (applied, description) = (apply ?? ThreadScheduling.Apply)(options);
        return note is null ? (applied, description) : (applied, $"{description} ({note})");
    }
}
