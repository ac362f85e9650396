using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Segmentation;

/// <summary>
/// Cuts segments (epochs, windows) out of the filtered stream as soon as their last sample has
/// arrived. Called by <see cref="StreamingSignalProcessor"/> after every block it appends.
/// </summary>
public interface ISegmenter
{
    /// <summary>The longest segment this segmenter cuts, in samples (the history must hold it).</summary>
    int MaxSegmentLength { get; }

    /// <summary>Cuts every segment that is now complete.</summary>
    void OnAppended(SignalHistory history);

    /// <summary>The stream restarted at <paramref name="index"/> (after a gap): segments before it can never complete.</summary>
    void Restart(long index);
}
