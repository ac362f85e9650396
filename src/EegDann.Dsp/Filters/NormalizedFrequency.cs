namespace EegDann.Dsp.Filters;

/// <summary>
/// The one place where a frequency in Hz becomes NWaves' normalised frequency (cycles per sample,
/// f / fs, in (0, 0.5)). Options and pipeline files speak Hz; nothing else divides by the rate.
/// </summary>
public static class NormalizedFrequency
{
    /// <summary>Converts <paramref name="hz"/> at <paramref name="sampleRateHz"/> to cycles per sample.</summary>
    /// <param name="hz">Frequency in Hz, strictly between 0 and the Nyquist frequency.</param>
    /// <param name="sampleRateHz">Sample rate in Hz, &gt; 0.</param>
    /// <param name="what">What the frequency is (for the error message), e.g. <c>band-pass low edge</c>.</param>
    /// <returns><paramref name="hz"/> / <paramref name="sampleRateHz"/>, in (0, 0.5).</returns>
    /// <exception cref="ArgumentOutOfRangeException">When the frequency is not inside (0, fs/2).</exception>
    public static double FromHz(double hz, double sampleRateHz, string what)
    {
        if (!double.IsFinite(sampleRateHz) || sampleRateHz <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRateHz), sampleRateHz, "the sample rate must be a positive number of Hz.");
        }

        if (!double.IsFinite(hz) || hz <= 0 || hz >= sampleRateHz / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(hz), hz, $"the {what} must lie strictly between 0 Hz and the Nyquist frequency {sampleRateHz / 2} Hz (sample rate {sampleRateHz} Hz), got {hz} Hz.");
        }

        return hz / sampleRateHz;
    }
}
