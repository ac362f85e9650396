namespace EegDann.Dsp.Streaming;

/// <summary>
/// A streaming stage that transforms samples in place without changing the channel count or the
/// rate: a causal filter, a re-referencing. It keeps whatever state it needs between calls, so a
/// stream cut into chunks of any sizes gives exactly the samples of the stream processed in one piece.
/// </summary>
public interface ISampleStage
{
    /// <summary>Channels per sample this stage was built for.</summary>
    int ChannelCount { get; }

    /// <summary>Transforms <paramref name="sampleCount"/> samples in place.</summary>
    /// <param name="samples">Sample-major values (all channels of sample 0, then sample 1, …), at least <paramref name="sampleCount"/> × <see cref="ChannelCount"/> long.</param>
    /// <param name="sampleCount">Number of samples to process.</param>
    void Process(Span<double> samples, int sampleCount);

    /// <summary>Forgets the state (as at the start of a stream).</summary>
    void Reset();
}
