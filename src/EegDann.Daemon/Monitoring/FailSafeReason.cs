namespace EegDann.Daemon.Monitoring;

/// <summary>Why a decision was forced to <c>none</c>.</summary>
public enum FailSafeReason
{
    /// <summary>Not a fail-safe.</summary>
    None,

    /// <summary>No samples arrived for longer than the configured time.</summary>
    Stale,

    /// <summary>NaN or infinite samples (or features).</summary>
    NonFinite,

    /// <summary>A channel the model uses is flat over the window.</summary>
    FlatChannel,

    /// <summary>A channel the model uses reached the saturation level in the window.</summary>
    SaturatedChannel,

    /// <summary>A gap (or overlap) in sample indices; the filters restarted.</summary>
    Gap,

    /// <summary>The source disconnected; the stream has not been clean since.</summary>
    Disconnected,

    /// <summary>The stream lacks channels the model needs.</summary>
    ChannelMismatch,

    /// <summary>The stream-estimated alignment is still warming up.</summary>
    AlignmentWarmup,

    /// <summary>A chunk could not be processed (the log has the error); the filters restarted.</summary>
    ProcessingError,

    /// <summary>The daemon is stopping: the last message it sends, so no command outlives it.</summary>
    Stopped,

    /// <summary>The stream's sample rate cannot be converted to the model's (not a fraction L/M with L, M ≤ 10 000).</summary>
    UnsupportedRate,

    /// <summary>The per-subject feature standardisation estimated from the stream is still warming up (a subject the model has no statistics for).</summary>
    StandardizationWarmup,
}

/// <summary>Names of fail-safe reasons in decisions, logs and metrics.</summary>
public static class FailSafeReasons
{
    /// <summary>Every reason except <see cref="FailSafeReason.None"/>.</summary>
    public static IReadOnlyList<FailSafeReason> All { get; } = Enum.GetValues<FailSafeReason>().Where(r => r != FailSafeReason.None).ToArray();

    /// <summary>The snake_case name (e.g. <c>non_finite</c>).</summary>
    public static string Name(this FailSafeReason reason) => reason switch
    {
        FailSafeReason.None => "none",
        FailSafeReason.Stale => "stale",
        FailSafeReason.NonFinite => "non_finite",
        FailSafeReason.FlatChannel => "flat_channel",
        FailSafeReason.SaturatedChannel => "saturated_channel",
        FailSafeReason.Gap => "gap",
        FailSafeReason.Disconnected => "disconnected",
        FailSafeReason.ChannelMismatch => "channel_mismatch",
        FailSafeReason.AlignmentWarmup => "alignment_warmup",
        FailSafeReason.ProcessingError => "processing_error",
        FailSafeReason.Stopped => "stopped",
        FailSafeReason.UnsupportedRate => "unsupported_rate",
        FailSafeReason.StandardizationWarmup => "standardization_warmup",
        _ => reason.ToString(),
    };
}
