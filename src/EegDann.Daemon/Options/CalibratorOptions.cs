using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>
/// Section <c>Daemon:Calibrator</c>: the online calibrator. It collects the subject's unlabeled
/// signal; when <see cref="CollectMinutes"/> are in (or when asked), it adapts a model to the
/// subject in the background against <see cref="SourceRecordings"/>, checks it and hot-swaps it.
/// </summary>
public sealed class CalibratorOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Calibrator";

    /// <summary>Whether the calibrator runs.</summary>
    public bool Enabled { get; set; }

    /// <summary>Minutes of clean signal to collect before calibrating by itself (0: only when asked).</summary>
    [Range(0.0, 600.0)]
    public double CollectMinutes { get; set; } = 5.0;

    /// <summary>The labeled source recordings (<c>NAME.parquet</c> with events) to adapt from.</summary>
    public List<string> SourceRecordings { get; set; } = [];

    /// <summary>The pipeline file; empty: the pipeline of the model in use.</summary>
    public string? Pipeline { get; set; }

    /// <summary>The training method; empty: the calibration's default.</summary>
    public string? Method { get; set; }

    /// <summary>Seed of the training.</summary>
    public int Seed { get; set; }

    /// <summary>The value of <see cref="Command"/> that trains inside the daemon's process.</summary>
    public const string InProcess = "in-process";

    /// <summary>
    /// Where the training runs. Empty: in a child process, <c>eegdann calibrate-new-subject</c> of the
    /// daemon's own executable (its collections never stop the control thread, and its crash is a
    /// failed calibration, not a stopped daemon); inside the daemon when the daemon does not run as
    /// <c>eegdann</c> (embedded in another host). <see cref="InProcess"/>: inside the daemon. Else the
    /// path of the <c>eegdann</c> executable to run as the child.
    /// </summary>
    public string? Command { get; set; }

    /// <summary>Folder for calibrated model files (and their reports).</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Reject a model whose domain classifier tells source from target better than this (chance is 0.5).</summary>
    [Range(0.5, 1.0)]
    public double MaxDomainAccuracy { get; set; } = 0.75;

    /// <summary>Reject a model whose accuracy on the labeled source falls below this (collapsed).</summary>
    [Range(0.0, 1.0)]
    public double MinSourceAccuracy { get; set; } = 0.6;

    /// <summary>Reject a model that gives one class to more than this share of the target's windows.</summary>
    [Range(0.5, 1.0)]
    public double MaxClassShare { get; set; } = 0.9;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (SourceRecordings.Count == 0)
        {
            yield return new ValidationResult($"{SectionName}: the calibrator is enabled but SourceRecordings is empty", [nameof(SourceRecordings)]);
        }

        if (!string.IsNullOrWhiteSpace(Command) && Command != InProcess && !File.Exists(Command))
        {
            yield return new ValidationResult($"{SectionName}: Command '{Command}' is neither '{InProcess}' nor an existing file (the eegdann executable)", [nameof(Command)]);
        }

        if (string.IsNullOrWhiteSpace(OutputDirectory))
        {
            yield return new ValidationResult($"{SectionName}: the calibrator is enabled but OutputDirectory is not set", [nameof(OutputDirectory)]);
        }
    }
}

/// <summary>Validates <see cref="CalibratorOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class CalibratorOptionsValidator : IValidateOptions<CalibratorOptions>;
