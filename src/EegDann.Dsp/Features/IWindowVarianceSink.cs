// The receiver of SlidingVariances' windows.
namespace EegDann.Dsp.Features;

/// <summary>Receives the per-channel variances of sliding windows. The span is only valid during the call.</summary>
public interface IWindowVarianceSink
{
    /// <summary>One window's population variances (1/length, mean removed) of every aligned channel, band-major (bands × channels), µV².</summary>
    /// <param name="startSample">Stream index of the window's first sample.</param>
    /// <param name="variances">bands × channels values.</param>
    void OnWindow(long startSample, ReadOnlySpan<double> variances);
}
