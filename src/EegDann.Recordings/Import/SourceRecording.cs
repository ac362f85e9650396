using EegDann.Core;

namespace EegDann.Recordings.Import;

/// <summary>
/// What a format reader found in a file before EegDann decides subject and run: samples in µV (or
/// the channel's own unit when it is not a voltage), events relative to the first sample, and the
/// header facts worth keeping.
/// </summary>
public sealed record SourceRecording
{
    /// <summary>Rate and clean channel labels.</summary>
    public required SignalInfo Info { get; init; }

    /// <summary>Samples, <c>[channel][sample]</c>, in <see cref="Units"/>; all the same length unless <see cref="ChannelRatesHz"/> is set.</summary>
    public required float[][] Samples { get; init; }

    /// <summary>
    /// Each channel's own rate (Hz) when the file's channels have different rates, else null. Then
    /// channel <c>c</c> holds duration × rate<sub>c</sub> samples and <see cref="Info"/> gives the highest rate.
    /// </summary>
    public IReadOnlyList<double>? ChannelRatesHz { get; init; }

    /// <summary>Events sorted by onset.</summary>
    public required IReadOnlyList<RecordingEvent> Events { get; init; }

    /// <summary>Channel labels as the file spells them.</summary>
    public required IReadOnlyList<string> OriginalLabels { get; init; }

    /// <summary>Unit of each channel after conversion (<c>uV</c> for every voltage channel).</summary>
    public required IReadOnlyList<string> Units { get; init; }

    /// <summary>The format, e.g. <c>EDF+C</c>, <c>BDF</c>, <c>GDF 2.20</c>.</summary>
    public required string Format { get; init; }

    /// <summary>The patient code the header gives (EDF+ first patient subfield, GDF patient id), or null when absent or unknown (<c>X</c>).</summary>
    public string? PatientCode { get; init; }

    /// <summary>Further header facts (start time, equipment, recording id) kept as metadata.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}
