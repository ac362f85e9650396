namespace EegDann.Core;

/// <summary>
/// Who and what a recording is: subject, session and run, where it came from, and per-channel
/// facts the samples do not carry. Stored as Parquet key-value metadata.
/// </summary>
public sealed record RecordingMetadata
{
    /// <summary>Subject identifier, e.g. <c>S001</c>.</summary>
    public required string Subject { get; init; }

    /// <summary>Session identifier, or null when the source does not say.</summary>
    public string? Session { get; init; }

    /// <summary>Run identifier, e.g. <c>R04</c>, or null when the source does not say.</summary>
    public string? Run { get; init; }

    /// <summary>File name (no directory) of the file the recording was imported from, or null.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Lower-case hex SHA-256 of the source file, or null.</summary>
    public string? SourceSha256 { get; init; }

    /// <summary>Channel labels exactly as the source spelled them (e.g. <c>C3..</c>), in channel order.</summary>
    public IReadOnlyList<string> OriginalChannelLabels { get; init; } = [];

    /// <summary>Physical unit of each channel's samples, in channel order (normally <c>uV</c>).</summary>
    public IReadOnlyList<string> ChannelUnits { get; init; } = [];

    /// <summary>Version of EegDann that wrote the recording.</summary>
    public string? EegDannVersion { get; init; }

    /// <summary>Any further key-value facts (start time, equipment, source format…).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}
