namespace EegDann.Core;

/// <summary>
/// Changes the sample rate of one whole channel. Import uses it for channels recorded at another
/// rate than the recording's (slow clinical sensors beside EEG); the implementation lives with the
/// signal stages, and whoever composes the import hands it in.
/// </summary>
public interface IWholeSignalResampler
{
    /// <summary>A short description of the method, for metadata (e.g. <c>polyphase FIR, SciPy resample_poly design</c>).</summary>
    string Method { get; }

    /// <summary>Resamples <paramref name="samples"/> from <paramref name="inputRateHz"/> to <paramref name="outputRateHz"/>.</summary>
    /// <param name="samples">The whole channel at the input rate.</param>
    /// <param name="inputRateHz">Its rate, Hz, &gt; 0.</param>
    /// <param name="outputRateHz">The wanted rate, Hz, &gt; 0.</param>
    /// <returns>⌈n · out/in⌉ samples; sample m is the signal at time m / <paramref name="outputRateHz"/>, the same instant as the input's time axis.</returns>
    /// <exception cref="ArgumentException">When the two rates cannot be resampled between.</exception>
    float[] Resample(float[] samples, double inputRateHz, double outputRateHz);
}
