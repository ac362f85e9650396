namespace EegDann.Dsp.Resampling;

/// <summary>A sample rate that cannot be converted exactly to another (the ratio is not a fraction L/M of small integers).</summary>
public sealed class UnsupportedSampleRateException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="inputRateHz">The rate to convert from, Hz.</param>
    /// <param name="outputRateHz">The rate to convert to, Hz.</param>
    /// <param name="message">What went wrong, naming both rates.</param>
    public UnsupportedSampleRateException(double inputRateHz, double outputRateHz, string message)
        : base(message)
    {
        InputRateHz = inputRateHz;
        OutputRateHz = outputRateHz;
    }

    /// <summary>The rate to convert from, Hz.</summary>
    public double InputRateHz { get; }

    /// <summary>The rate to convert to, Hz.</summary>
    public double OutputRateHz { get; }
}
