using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>Section <c>Daemon:Replay</c>: replaying a Parquet recording as if it were live.</summary>
public sealed class ReplayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Replay";

    /// <summary>The recording's samples file (<c>NAME.parquet</c>); required when the source is <c>Replay</c>.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// Pace as a multiple of real time (1 = real time, 10 = ten times faster); 0 replays as fast as
    /// the pipeline takes it (back-pressure instead of pacing: nothing is dropped).
    /// </summary>
    [Range(0.0, 10000.0)]
    public double Speed { get; set; } = 1.0;

    /// <summary>Start again from the beginning at the end (sample indices keep counting up).</summary>
    public bool Loop { get; set; }

    /// <summary>Samples per chunk, as an amplifier would deliver them (8 = 50 ms at 160 Hz).</summary>
    [Range(1, 65536)]
    public int ChunkSamples { get; set; } = 8;

    /// <summary>Stop the daemon (exit code 0) once the recording has been replayed and every decision sent.</summary>
    public bool StopAtEnd { get; set; }
}

/// <summary>Validates <see cref="ReplayOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class ReplayOptionsValidator : IValidateOptions<ReplayOptions>;
