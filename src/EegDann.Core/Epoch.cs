namespace EegDann.Core;

/// <summary>
/// A segment of filtered EEG: a cue-locked epoch (calibration, training) or a sliding window
/// (streaming), channel-major <c>(channels, samples)</c>, double precision, µV.
/// </summary>
public sealed class Epoch
{
    /// <summary>Wraps the samples after checking their size.</summary>
    /// <param name="info">Subject, recording, first sample, label.</param>
    /// <param name="channelCount">Channels, &gt; 0.</param>
    /// <param name="sampleCount">Samples per channel, &gt; 0.</param>
    /// <param name="data">Exactly <paramref name="channelCount"/> × <paramref name="sampleCount"/> values, channel-major (sample <c>s</c> of channel <c>c</c> at <c>c * sampleCount + s</c>).</param>
    /// <exception cref="ArgumentException">When the sizes do not fit.</exception>
    public Epoch(EpochInfo info, int channelCount, int sampleCount, double[] data)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleCount);
        if (data.Length != channelCount * sampleCount)
        {
            throw new ArgumentException($"an epoch of {channelCount} channels × {sampleCount} samples needs {channelCount * sampleCount} values, got {data.Length}.", nameof(data));
        }

        Info = info;
        ChannelCount = channelCount;
        SampleCount = sampleCount;
        Data = data;
    }

    /// <summary>Subject, recording, first sample, label.</summary>
    public EpochInfo Info { get; }

    /// <summary>Number of channels.</summary>
    public int ChannelCount { get; }

    /// <summary>Samples per channel.</summary>
    public int SampleCount { get; }

    /// <summary>Samples, channel-major <c>(channels, samples)</c>, µV.</summary>
    public double[] Data { get; }

    /// <summary>The samples of one channel.</summary>
    public ReadOnlySpan<double> Channel(int channel) => Data.AsSpan(channel * SampleCount, SampleCount);
}
