using System.ComponentModel.DataAnnotations;
using EegDann.Lsl;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>
/// Section <c>Daemon:Lsl</c>: which Lab Streaming Layer streams the daemon reads when its source
/// is <c>Lsl</c> (how to find them is the top-level <c>Lsl</c> section).
/// </summary>
public sealed class LslSourceOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Lsl";

    /// <summary>The EEG stream: <c>name=NAME</c>, <c>type=TYPE</c> or <c>source_id=ID</c> (required when the source is <c>Lsl</c>).</summary>
    public string? Stream { get; set; }

    /// <summary>A marker stream (same syntax) whose samples are recorded as events at the EEG sample they fall on; empty for none.</summary>
    public string? Markers { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { (nameof(Stream), Stream), (nameof(Markers), Markers) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !LslStreamSelector.TryParse(value, out _, out var problem))
            {
                yield return new ValidationResult($"{SectionName}:{name}: {problem}", [name]);
            }
        }
    }
}

/// <summary>Validates <see cref="LslSourceOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class LslSourceOptionsValidator : IValidateOptions<LslSourceOptions>;
