using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Which acquisition source feeds the daemon.</summary>
public enum SourceKind
{
    /// <summary>A Parquet recording replayed at real time × speed (<see cref="ReplayOptions"/>).</summary>
    Replay,

    /// <summary>A TCP listener for amplifier bridges (<see cref="TcpSourceOptions"/>, the protocol in docs/protocols.md).</summary>
    Tcp,

    /// <summary>A synthetic motor-imagery-like stream for demos (<see cref="SyntheticSourceOptions"/>).</summary>
    Synthetic,

    /// <summary>A Lab Streaming Layer stream (<see cref="LslSourceOptions"/>; finding it: the <c>Lsl</c> section).</summary>
    Lsl,
}

/// <summary>Section <c>Daemon:Acquisition</c>: where samples come from and whose they are.</summary>
public sealed class AcquisitionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Acquisition";

    /// <summary>What the start-up error says when no source is chosen.</summary>
    internal const string SourceNotSet = "is not set: choose Replay, Tcp, Synthetic or Lsl (the options --replay FILE, --tcp HOST:PORT, --synthetic or --lsl name=NAME set it).";

    /// <summary>The source (<c>Replay</c>, <c>Tcp</c>, <c>Synthetic</c>, <c>Lsl</c>); empty in appsettings.json, where the command-line options set it.</summary>
    [Required(ErrorMessage = SectionName + ":Source " + SourceNotSet)]
    public SourceKind? Source { get; set; }

    /// <summary>
    /// Who is being decoded, when the source does not say (a replayed recording and a TCP header
    /// may name the subject). Selects the subject's fitted alignment in the model.
    /// </summary>
    [Required]
    [MinLength(1)]
    public string Subject { get; set; } = "online";
}

/// <summary>Validates <see cref="AcquisitionOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class AcquisitionOptionsValidator : IValidateOptions<AcquisitionOptions>;
