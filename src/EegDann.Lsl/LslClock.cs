using System.Diagnostics;

namespace EegDann.Lsl;

/// <summary>
/// LSL's local clock: seconds of a monotonic clock. <see cref="Stopwatch"/> is
/// <c>CLOCK_MONOTONIC</c> on Linux and QPC on Windows, the same clock as liblsl's
/// <c>lsl_local_clock()</c> (<c>std::chrono::steady_clock</c>), so on one Linux host a stream's
/// time stamps and this clock agree up to the measured time correction.
/// </summary>
public static class LslClock
{
    /// <summary>The local clock now, seconds.</summary>
    public static double Now() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>A <see cref="Stopwatch"/> timestamp in seconds of this clock.</summary>
    public static double FromStopwatch(long timestamp) => timestamp / (double)Stopwatch.Frequency;
}
