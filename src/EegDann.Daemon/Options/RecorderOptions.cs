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
    /// number, <c>daemon.first_stream_sample</c> giving where it continues); 0: no bound in time
    /// (<see cref="MaxRowGroupsPerFile"/> still applies).
    /// </summary>
    [Range(0.0, 1440.0)]
    public double FileMinutes { get; set; } = 10.0;

    /// <summary>
    /// Row groups per file at most (default 120: 10 minutes at 5 s row groups); a longer stream
    /// continues in the next file as with <see cref="FileMinutes"/>, whichever bound comes first.
    /// </summary>
    /// <remarks>
    /// Each durable row group reads the file's footer back, rewrites it (it lists every row group
    /// before it) and saves it in the state file, so the work and memory of a commit grow with the
    /// file: <c>bench -- recorder-commit</c> measured 2.9 MB allocated and 77 ms per commit over the
    /// first 60 row groups, 44 MB and 234 ms at 720 (the former one-hour files), which held the
    /// day-long soak at the recorder's pace and its managed heap between 230 and 630 MB. A bound in
    /// row groups, not minutes, holds whatever <see cref="RowGroupSeconds"/> is.
    /// </remarks>
    [Range(1, 1000)]
    public int MaxRowGroupsPerFile { get; set; } = Recordings.Parquet.RecordingPartWriter.DefaultMaxRowGroups;
}

/// <summary>Validates <see cref="RecorderOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class RecorderOptionsValidator : IValidateOptions<RecorderOptions>;
