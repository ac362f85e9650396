using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>
/// Section <c>Daemon:FailSafe</c>: when the command is forced to <c>none</c>. Besides these
/// limits, NaN/infinite samples and gaps in sample indices always fail safe.
/// </summary>
public sealed class FailSafeOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:FailSafe";

    /// <summary>Input is stale when no samples arrived for this long, milliseconds.</summary>
    [Range(1.0, 600000.0)]
    public double StaleAfterMilliseconds { get; set; } = 250.0;

    /// <summary>While input is stale, a <c>none</c> decision is sent this often, milliseconds (a heartbeat for the controller).</summary>
    [Range(1.0, 600000.0)]
    public double StaleHeartbeatMilliseconds { get; set; } = 100.0;

    /// <summary>A channel is flat when its peak-to-peak amplitude over a window is below this, µV (0 disables).</summary>
    [Range(0.0, 1e6)]
    public double FlatMicrovolts { get; set; } = 0.5;

    /// <summary>A channel is saturated when any sample of a window reaches this magnitude, µV (set it to the amplifier's range).</summary>
    [Range(1.0, 1e9)]
    public double SaturationMicrovolts { get; set; } = 3000.0;

    /// <summary>
    /// After a model swap the new model's filters are primed with this much of the recent raw
    /// signal before the window, seconds, so the swap needs no fail-safe pause.
    /// </summary>
    [Range(0.0, 60.0)]
    public double SwapSettleSeconds { get; set; } = 1.0;
}

/// <summary>Validates <see cref="FailSafeOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class FailSafeOptionsValidator : IValidateOptions<FailSafeOptions>;
