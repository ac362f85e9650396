using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Section <c>Daemon:Metrics</c>: periodic metric logs and the Prometheus endpoint.</summary>
public sealed class MetricsOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Metrics";

    /// <summary>Seconds between metric log lines.</summary>
    [Range(0.1, 86400.0)]
    public double LogIntervalSeconds { get; set; } = 10.0;

    /// <summary>Serve Prometheus text at <c>http://ENDPOINT/metrics</c> (and <c>POST /calibrate</c>); empty: off.</summary>
    public string? Prometheus { get; set; }

    /// <summary>Allow a non-loopback endpoint (off: only 127.0.0.0/8 and ::1 are accepted).</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>The most time a client may take to send its request and read the answer, seconds.</summary>
    [Range(0.1, 60.0)]
    public double RequestTimeoutSeconds { get; set; } = 5.0;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        string.IsNullOrWhiteSpace(Prometheus)
            ? []
            : NetworkEndpoint.Problems($"{SectionName}:{nameof(Prometheus)}", Prometheus, AllowNonLoopback, allowPortZero: true)
                .Select(p => new ValidationResult(p, [nameof(Prometheus)]));
}

/// <summary>Validates <see cref="MetricsOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class MetricsOptionsValidator : IValidateOptions<MetricsOptions>;
