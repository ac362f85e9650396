using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>
/// Section <c>Daemon:Synthetic</c>: a synthetic EEG-like stream for demos — background noise with
/// a 10 Hz mu rhythm that weakens over the hemisphere opposite the imagined hand, switching
/// between left and right imagery on a fixed schedule.
/// </summary>
public sealed class SyntheticSourceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Synthetic";

    /// <summary>Sample rate, Hz.</summary>
    [Range(1.0, 100000.0)]
    public double SampleRateHz { get; set; } = 160.0;

    /// <summary>Channel labels; empty: the model's channels.</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>Samples per chunk.</summary>
    [Range(1, 65536)]
    public int ChunkSamples { get; set; } = 8;

    /// <summary>Pace as a multiple of real time; 0: as fast as possible.</summary>
    [Range(0.0, 10000.0)]
    public double Speed { get; set; } = 1.0;

    /// <summary>Seconds of each imagined class before switching (rest, left, rest, right, …).</summary>
    [Range(0.5, 3600.0)]
    public double ClassSeconds { get; set; } = 4.0;

    /// <summary>Background noise standard deviation, µV.</summary>
    [Range(0.0, 10000.0)]
    public double NoiseMicrovolts { get; set; } = 10.0;

    /// <summary>Mu rhythm amplitude at rest, µV.</summary>
    [Range(0.0, 10000.0)]
    public double MuMicrovolts { get; set; } = 15.0;

    /// <summary>Seed of the noise.</summary>
    public int Seed { get; set; }

    /// <summary>Stop after this many seconds of signal (0: never).</summary>
    [Range(0.0, 1e7)]
    public double DurationSeconds { get; set; }
}

/// <summary>Validates <see cref="SyntheticSourceOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class SyntheticSourceOptionsValidator : IValidateOptions<SyntheticSourceOptions>;
