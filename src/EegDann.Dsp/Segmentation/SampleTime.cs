namespace EegDann.Dsp.Segmentation;

/// <summary>The one conversion from seconds to sample counts and indices.</summary>
public static class SampleTime
{
    /// <summary>
    /// round(<paramref name="seconds"/> · <paramref name="sampleRateHz"/>), halves to even, as Python's
    /// and NumPy's <c>round</c> (so indices agree with the reference scripts).
    /// </summary>
    public static long ToSamples(double seconds, double sampleRateHz) =>
        (long)Math.Round(seconds * sampleRateHz, MidpointRounding.ToEven);
}
