using EegDann.Daemon.Processing;

namespace EegDann.Daemon.Decoding;

/// <summary>
/// Sees every decision with the window it came from, on the decoder's thread, before the decision
/// is sent (for tests and diagnostics; keep it fast). Register implementations in the service
/// collection.
/// </summary>
public interface IDecodeObserver
{
    /// <summary>A window (or fail-safe position) was decided.</summary>
    /// <param name="item">The window item.</param>
    /// <param name="input">The network input (features or aligned samples); empty for fail-safe items.</param>
    /// <param name="probabilities">The network's probabilities for this window (before smoothing); empty for fail-safe items.</param>
    /// <param name="decision">The decision.</param>
    void OnDecoded(in WindowItem item, ReadOnlySpan<double> input, ReadOnlySpan<float> probabilities, Decision decision);
}
