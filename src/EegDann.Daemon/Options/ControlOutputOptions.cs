using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Section <c>Daemon:Output</c>: where decisions go.</summary>
public sealed class ControlOutputOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Output";

    /// <summary>UDP destination of the decision datagrams, <c>host:port</c>; empty: no UDP output.</summary>
    public string? Udp { get; set; } = "127.0.0.1:9876";

    /// <summary>Also write each decision as one JSON line on standard output.</summary>
    public bool Stdout { get; set; }

    /// <summary>Allow a non-loopback UDP destination (off: only 127.0.0.0/8 and ::1 are accepted).</summary>
    public bool AllowNonLoopback { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Udp))
        {
            if (!Stdout)
            {
                yield return new ValidationResult($"{SectionName}: neither Udp nor Stdout is set, so decisions would go nowhere", [nameof(Udp), nameof(Stdout)]);
            }

            yield break;
        }

        foreach (var problem in NetworkEndpoint.Problems($"{SectionName}:{nameof(Udp)}", Udp, AllowNonLoopback))
        {
            yield return new ValidationResult(problem, [nameof(Udp)]);
        }
    }
}

/// <summary>Validates <see cref="ControlOutputOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class ControlOutputOptionsValidator : IValidateOptions<ControlOutputOptions>;
