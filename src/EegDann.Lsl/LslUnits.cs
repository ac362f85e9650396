namespace EegDann.Lsl;

/// <summary>Channel units as outlets write them in <c>desc/channels/channel/unit</c>, turned into µV.</summary>
public static class LslUnits
{
    /// <summary>
    /// The factor from the given unit to µV: 1 for microvolts (<c>microvolts</c>, <c>uV</c>,
    /// <c>µV</c>) and for no unit (EEG outlets that say nothing send µV by convention), 1000 for
    /// millivolts, 10⁶ for volts, 10⁻³ for nanovolts; null for anything else (not a voltage).
    /// </summary>
    public static double? ToMicrovolts(string? unit) => (unit ?? string.Empty).Trim().ToLowerInvariant() switch
    {
        "" or "microvolts" or "microvolt" or "uv" or "µv" or "μv" => 1.0,
        "millivolts" or "millivolt" or "mv" => 1e3,
        "volts" or "volt" or "v" => 1e6,
        "nanovolts" or "nanovolt" or "nv" => 1e-3,
        _ => null,
    };
}
