using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Section <c>Daemon:Recorder</c>: the session recorder (raw stream → Parquet recording).</summary>
public sealed class RecorderOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Recorder";

    /// <summary>Folder of the session recordings; empty: no recording.</summary>
    public string? Directory { get; set; }

    /// <summary>Seconds per row group: how often the part file is made durable, and the most a crash can lose.</summary>
    [Range(0.1, 600.0)]
    public double RowGroupSeconds { get; set; } = 5.0;

    /// <summary>
    /// Minutes of signal per file: a longer stream continues in the next file (same session, next
    /// number, <c>daemon.first_stream_sample</c> giving where it continues); 0: one file per stream.
    /// </summary>
    /// <remarks>
    /// Each durable row group rewrites the file's footer, which lists every row group before it,
    /// and saves it in the state file: in one file per day-long stream that work and the memory it
    /// takes grow with the file (the soak bench: the managed heap 160 → 330 MB and the recorder
    /// falling behind within one hour of signal at full speed). An hour per file keeps both bounded.
    /// </remarks>
    [Range(0.0, 1440.0)]
    public double FileMinutes { get; set; } = 60.0;
}

/// <summary>Validates <see cref="RecorderOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class RecorderOptionsValidator : IValidateOptions<RecorderOptions>;
