using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;

namespace EegDann.Daemon.Processing;

/// <summary>What the filter/window stage hands to the decoder.</summary>
public enum WindowItemKind
{
    /// <summary>A clean window: decode it.</summary>
    Window,

    /// <summary>A window position passed while the input was bad: the command is <c>none</c>.</summary>
    FailSafe,

    /// <summary>A heartbeat while no samples arrive: the command is <c>none</c>.</summary>
    Stale,
}

/// <summary>One decision's worth of work for the decoder.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="EndSample">Stream index (pipeline rate) one past the window's last sample (for a stale heartbeat: the last sample seen).</param>
/// <param name="SampleRateHz">Pipeline rate, Hz (for the decision's time).</param>
/// <param name="ArrivalTimestamp">When the window's last sample arrived (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>); for a heartbeat, when it was made.</param>
/// <param name="Model">The model whose pipeline computed the window.</param>
/// <param name="Input">
/// For <see cref="WindowItemKind.Window"/>: the network's input (features, or aligned samples
/// channel-major), rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>; the decoder
/// returns it. Else null.
/// </param>
/// <param name="Reason">Why the command is <c>none</c> (fail-safe and heartbeat items).</param>
/// <param name="Detail">More about the reason (e.g. the flat channel), or null.</param>
public readonly record struct WindowItem(
    WindowItemKind Kind,
    long EndSample,
    double SampleRateHz,
    long ArrivalTimestamp,
    DecoderModel? Model,
    double[]? Input,
    FailSafeReason Reason = FailSafeReason.None,
    string? Detail = null)
{
    /// <summary>Time of the window's last sample, ms since the stream's sample 0.</summary>
    public double TimeMilliseconds => (EndSample - 1) * 1000.0 / SampleRateHz;
}
