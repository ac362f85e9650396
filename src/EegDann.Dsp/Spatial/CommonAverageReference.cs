using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Spatial;

/// <summary>
/// Common average reference: subtracts, at every sample, the mean over all channels of the
/// pipeline from each channel. Stateless, so trivially identical in chunks and in one piece.
/// </summary>
public sealed class CommonAverageReference : ISampleStage
{
    /// <summary>Creates the stage.</summary>
    /// <param name="channelCount">Channels per sample, ≥ 2 (with one channel the result would be zero).</param>
    public CommonAverageReference(int channelCount)
    {
        if (channelCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, "a common average reference needs at least 2 channels.");
        }

        ChannelCount = channelCount;
    }

    /// <inheritdoc />
    public int ChannelCount { get; }

    /// <inheritdoc />
    public void Process(Span<double> samples, int sampleCount)
    {
        int c = ChannelCount;
        for (int n = 0; n < sampleCount; n++)
        {
            var row = samples.Slice(n * c, c);
            double sum = 0;
            for (int ch = 0; ch < c; ch++)
            {
                sum += row[ch];
            }

            double mean = sum / c;
            for (int ch = 0; ch < c; ch++)
            {
                row[ch] -= mean;
            }
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
    }
}
