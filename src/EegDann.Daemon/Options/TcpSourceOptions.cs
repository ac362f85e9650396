using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Section <c>Daemon:Tcp</c>: the TCP listener for live amplifier bridges.</summary>
public sealed class TcpSourceOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Tcp";

    /// <summary>Where to listen, <c>host:port</c> (port 0: the system picks one and the log says which).</summary>
    [Required]
    public string Listen { get; set; } = "127.0.0.1:8765";

    /// <summary>Allow a non-loopback listening address (off: only 127.0.0.0/8 and ::1 are accepted).</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>The largest frame a client may send, in samples (a larger one is a protocol error and closes the connection).</summary>
    [Range(1, 1 << 20)]
    public int MaxFrameSamples { get; set; } = 4096;

    /// <summary>The most time a client may take to send its JSON header line, seconds.</summary>
    [Range(0.1, 600.0)]
    public double HeaderTimeoutSeconds { get; set; } = 10.0;

    /// <summary>
    /// Whether a new connection replaces a client that is streaming (off: it is refused with an
    /// error line, so a stray local process cannot cut a live stream).
    /// </summary>
    public bool NewClientReplacesCurrent { get; set; }

    /// <summary>
    /// A new connection replaces the current client when that client has sent no frame for this
    /// long, seconds (a bridge that restarted while its old connection was not yet seen as closed).
    /// </summary>
    [Range(0.1, 3600.0)]
    public double ReplaceIdleSeconds { get; set; } = 5.0;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        NetworkEndpoint.Problems($"{SectionName}:{nameof(Listen)}", Listen, AllowNonLoopback, allowPortZero: true)
            .Select(p => new ValidationResult(p, [nameof(Listen)]));
}

/// <summary>Validates <see cref="TcpSourceOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class TcpSourceOptionsValidator : IValidateOptions<TcpSourceOptions>;
