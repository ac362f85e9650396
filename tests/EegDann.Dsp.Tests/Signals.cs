namespace EegDann.Dsp.Tests;

/// <summary>Deterministic synthetic signals for invariants.</summary>
internal static class Signals
{
    /// <summary>Gaussian noise, sample-major, <paramref name="channels"/> × <paramref name="samples"/>.</summary>
    public static double[] Noise(int channels, int samples, int seed, double sd = 20)
    {
        var random = new Random(seed);
        var data = new double[channels * samples];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = sd * Gaussian(random);
        }

        return data;
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
