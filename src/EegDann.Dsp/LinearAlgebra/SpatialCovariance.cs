namespace EegDann.Dsp.LinearAlgebra;

/// <summary>Spatial covariance of a window (channels × samples, channel-major).</summary>
public static class SpatialCovariance
{
    /// <summary>The uncentred second moment (1/n)·X·Xᵀ of one window, as He &amp; Wu's alignment uses it; allocates the result.</summary>
    public static double[] SecondMoment(ReadOnlySpan<double> window, int channels, int samples)
    {
        var result = new double[channels * channels];
        for (int i = 0; i < channels; i++)
        {
            var xi = window.Slice(i * samples, samples);
            for (int j = i; j < channels; j++)
            {
                double v = Matrices.Dot(xi, window.Slice(j * samples, samples)) / samples;
                result[(i * channels) + j] = v;
                result[(j * channels) + i] = v;
            }
        }

        return result;
    }
}
