namespace EegDann.Core;

/// <summary>
/// Consecutive samples of every channel of a stream, as they arrive from a source (amplifier,
/// replay, TCP bridge): sample-major (all channels of sample 0, then of sample 1, …), float32,
/// physical units (µV), tagged with the stream index of the first sample.
/// </summary>
/// <remarks>
/// Sample-major is the order of the wire protocols (LSL, the daemon's TCP frames). Consumers must
/// not keep a reference to <see cref="Samples"/> beyond the call that received the chunk: sources
/// may reuse the array.
/// </remarks>
public sealed class SampleChunk
{
    /// <summary>Wraps samples after checking that the array holds <paramref name="sampleCount"/> × <paramref name="channelCount"/> values.</summary>
    /// <param name="firstSampleIndex">Stream index (0-based, ≥ 0) of the first sample of the chunk.</param>
    /// <param name="channelCount">Channels per sample, &gt; 0.</param>
    /// <param name="sampleCount">Samples in the chunk, ≥ 0.</param>
    /// <param name="samples">At least <paramref name="sampleCount"/> × <paramref name="channelCount"/> values, sample-major, µV.</param>
    /// <exception cref="ArgumentException">When the sizes do not fit.</exception>
    public SampleChunk(long firstSampleIndex, int channelCount, int sampleCount, float[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegative(firstSampleIndex);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        if ((long)sampleCount * channelCount > samples.Length)
        {
            throw new ArgumentException(
                $"a chunk of {sampleCount} samples × {channelCount} channels needs {(long)sampleCount * channelCount} values, the array has {samples.Length}.",
                nameof(samples));
        }

        FirstSampleIndex = firstSampleIndex;
        ChannelCount = channelCount;
        SampleCount = sampleCount;
        Samples = samples;
    }

    /// <summary>Stream index (0-based) of the first sample.</summary>
    public long FirstSampleIndex { get; }

    /// <summary>Channels per sample.</summary>
    public int ChannelCount { get; }

    /// <summary>Number of samples (per channel) in the chunk.</summary>
    public int SampleCount { get; }

    /// <summary>The backing array: sample-major, µV; only the first <see cref="SampleCount"/> × <see cref="ChannelCount"/> values belong to the chunk.</summary>
    public float[] Samples { get; }

    /// <summary>The chunk's values, sample-major.</summary>
    public ReadOnlySpan<float> Span => Samples.AsSpan(0, SampleCount * ChannelCount);

    /// <summary>Stream index one past the last sample.</summary>
    public long EndSampleIndex => FirstSampleIndex + SampleCount;

    /// <summary>
    /// Cuts samples <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/>-1 of a
    /// channel-major recording (<c>[channel][sample]</c>) into a new sample-major chunk.
    /// </summary>
    /// <param name="channels">One array per channel, all at least <paramref name="start"/> + <paramref name="count"/> long.</param>
    /// <param name="start">First sample to take (also the chunk's <see cref="FirstSampleIndex"/>).</param>
    /// <param name="count">Samples to take.</param>
    public static SampleChunk FromChannelMajor(float[][] channels, long start, int count)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var data = new float[count * channels.Length];
        int c = channels.Length;
        for (int ch = 0; ch < c; ch++)
        {
            var source = channels[ch].AsSpan(checked((int)start), count);
            for (int s = 0; s < count; s++)
            {
                data[(s * c) + ch] = source[s];
            }
        }

        return new SampleChunk(start, c, count, data);
    }
}
