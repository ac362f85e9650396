namespace EegDann.Core;

/// <summary>
/// A whole recording in memory: samples in physical units (µV), channel-major, plus events and
/// metadata.
/// </summary>
public sealed class Recording
{
    /// <summary>Creates a recording after checking that the samples fit the description.</summary>
    /// <param name="info">Rate and channels.</param>
    /// <param name="samples">One array per channel (in <paramref name="info"/>'s order), all the same length, µV.</param>
    /// <param name="events">Events sorted by onset.</param>
    /// <param name="metadata">Subject, run, provenance.</param>
    /// <exception cref="ArgumentException">When the arrays do not fit the description.</exception>
    public Recording(SignalInfo info, float[][] samples, IReadOnlyList<RecordingEvent> events, RecordingMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(metadata);
        if (samples.Length != info.ChannelCount)
        {
            throw new ArgumentException($"{samples.Length} sample arrays for {info.ChannelCount} channels.", nameof(samples));
        }

        int length = samples.Length == 0 ? 0 : samples[0].Length;
        for (int c = 0; c < samples.Length; c++)
        {
            if (samples[c] is null || samples[c].Length != length)
            {
                throw new ArgumentException($"channel '{info.Channels[c]}' has {samples[c]?.Length ?? 0} samples, channel '{info.Channels[0]}' has {length}.", nameof(samples));
            }
        }

        Info = info;
        Samples = samples;
        Events = events;
        Metadata = metadata;
    }

    /// <summary>Rate and channels.</summary>
    public SignalInfo Info { get; }

    /// <summary>Samples, <c>[channel][sample]</c>, µV.</summary>
    public float[][] Samples { get; }

    /// <summary>Number of samples per channel.</summary>
    public int SampleCount => Samples.Length == 0 ? 0 : Samples[0].Length;

    /// <summary>Duration in seconds.</summary>
    public double DurationSeconds => SampleCount / Info.SampleRateHz;

    /// <summary>Events sorted by onset.</summary>
    public IReadOnlyList<RecordingEvent> Events { get; }

    /// <summary>Subject, run, provenance.</summary>
    public RecordingMetadata Metadata { get; }
}
