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
}

/// <summary>Validates <see cref="RecorderOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class RecorderOptionsValidator : IValidateOptions<RecorderOptions>;
