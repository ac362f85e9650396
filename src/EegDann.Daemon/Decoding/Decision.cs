using EegDann.Daemon.Monitoring;

namespace EegDann.Daemon.Decoding;

/// <summary>One decision for the control output.</summary>
/// <param name="Command">A class name, or <c>none</c>.</param>
/// <param name="ClassNames">The model's classes.</param>
/// <param name="Probabilities">The smoothed class probabilities in class order (empty for a fail-safe).</param>
/// <param name="TimeMilliseconds">Time of the window's last sample, ms since the stream's sample 0.</param>
/// <param name="ArrivalTimestamp">When the window's last sample arrived (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
/// <param name="ModelId">The model's id (empty before any model).</param>
/// <param name="Reason">Why the command is forced to <c>none</c>, or <see cref="FailSafeReason.None"/>.</param>
/// <param name="MeasuresLatency">Whether the latency is a data latency (false for stale heartbeats, which have no window).</param>
public sealed record Decision(
    string Command,
    IReadOnlyList<string> ClassNames,
    float[] Probabilities,
    double TimeMilliseconds,
    long ArrivalTimestamp,
    string ModelId,
    FailSafeReason Reason,
    bool MeasuresLatency)
{
    /// <summary>The command of every fail-safe and of low confidence.</summary>
    public const string NoCommand = "none";
}
