namespace EegDann.Dsp.LinearAlgebra;

/// <summary>Spatial covariance of a window (channels × samples, channel-major).</summary>
public static class SpatialCovariance
{
    /// <summary>
    /// Computes each channel's mean and the centred (population, 1/n) covariance
    /// Σ = (1/n)·(X − μ)(X − μ)ᵀ, and optionally the uncentred second moment (1/n)·X·Xᵀ = Σ + μμᵀ.
    /// </summary>
    /// <param name="window">channels × samples, channel-major.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="samples">Samples per channel, &gt; 0.</param>
    /// <param name="mean">Receives the channel means (channels values).</param>
    /// <param name="centered">Receives Σ (channels × channels).</param>
    /// <param name="centeredWork">channels × samples scratch (receives X − μ).</param>
    /// <param name="uncentered">Receives Σ + μμᵀ, or empty to skip.</param>
    public static void Compute(ReadOnlySpan<double> window, int channels, int samples, Span<double> mean, Span<double> centered, Span<double> centeredWork, Span<double> uncentered)
    {
        for (int c = 0; c < channels; c++)
        {
            var x = window.Slice(c * samples, samples);
            double sum = 0;
            for (int s = 0; s < samples; s++)
            {
                sum += x[s];
            }

            double mu = sum / samples;
            mean[c] = mu;
            var y = centeredWork.Slice(c * samples, samples);
            for (int s = 0; s < samples; s++)
            {
                y[s] = x[s] - mu;
            }
        }

        for (int i = 0; i < channels; i++)
        {
            var yi = centeredWork.Slice(i * samples, samples);
            for (int j = i; j < channels; j++)
            {
                double v = Matrices.Dot(yi, centeredWork.Slice(j * samples, samples)) / samples;
                centered[(i * channels) + j] = v;
                centered[(j * channels) + i] = v;
            }
        }

        if (!uncentered.IsEmpty)
        {
            for (int i = 0; i < channels; i++)
            {
                for (int j = 0; j < channels; j++)
                {
                    uncentered[(i * channels) + j] = centered[(i * channels) + j] + (mean[i] * mean[j]);
                }
            }
        }
    }

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
