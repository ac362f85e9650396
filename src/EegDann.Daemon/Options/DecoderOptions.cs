using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>How the live decoder aligns windows (see <c>EegDann.Pipelines.OnlineAlignment</c>).</summary>
public enum AlignmentMode
{
    /// <summary><c>Fixed</c> when the model carries the subject's alignment, else <c>FromStream</c> (pipelines with Euclidean alignment).</summary>
    Auto,

    /// <summary>The subject's alignment from the model file, unchanged.</summary>
    Fixed,

    /// <summary>Start from the model's alignment of the subject and keep updating it with the windows seen.</summary>
    Adaptive,

    /// <summary>Estimate the alignment from the stream; commands are <c>none</c> during its warm-up.</summary>
    FromStream,
}

/// <summary>Section <c>Daemon:Decoder</c>: the model and how its outputs become commands.</summary>
public sealed class DecoderOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Decoder";

    /// <summary>The model file (from <c>calibrate-new-subject</c>).</summary>
    [Required(ErrorMessage = "Daemon:Decoder:ModelPath is required (the model file, e.g. --model S002.eegdann)")]
    public string? ModelPath { get; set; }

    /// <summary>Watch the model file and swap in a new one (after validation) when it changes.</summary>
    public bool WatchModel { get; set; } = true;

    /// <summary>How often the watcher also polls the file (in case file-system events are missed), seconds.</summary>
    [Range(0.1, 3600.0)]
    public double WatchPollSeconds { get; set; } = 2.0;

    /// <summary>How windows are aligned.</summary>
    public AlignmentMode Alignment { get; set; } = AlignmentMode.Auto;

    /// <summary>
    /// Weight of the newest window in the exponential average of class probabilities, (0, 1]:
    /// p̄ ← α·p + (1 − α)·p̄. 1 disables smoothing.
    /// </summary>
    [Range(0.001, 1.0)]
    public double SmoothingAlpha { get; set; } = 0.3;

    /// <summary>The smoothed probability a class needs to become the command; below it the command is <c>none</c>.</summary>
    [Range(0.0, 1.0)]
    public double ConfidenceThreshold { get; set; } = 0.6;

    /// <summary>
    /// How long a new class must stay above the threshold before the command changes to it, seconds
    /// (converted to whole windows by the stride). Falling below the threshold, or a fail-safe,
    /// gives <c>none</c> at once.
    /// </summary>
    [Range(0.0, 60.0)]
    public double DwellSeconds { get; set; } = 0.25;

    /// <summary>libtorch intra-op threads (process-wide). One keeps the forward pass predictable and leaves the other cores to the pipeline.</summary>
    [Range(1, 64)]
    public int TorchThreads { get; set; } = 1;

    /// <summary>
    /// Where the network runs: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. CUDA needs a build with
    /// libtorch's CUDA runtime (docs/torchsharp.md, "GPUs"); asking for it without one stops the start (exit code 2).
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        EegDann.Model.TorchRuntime.DeviceProblem(Device, $"{SectionName}:{nameof(Device)}") is { } problem
            ? [new ValidationResult(problem, [nameof(Device)])]
            : [];
}

/// <summary>Validates <see cref="DecoderOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class DecoderOptionsValidator : IValidateOptions<DecoderOptions>;
