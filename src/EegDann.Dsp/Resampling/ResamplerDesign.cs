namespace EegDann.Dsp.Resampling;

/// <summary>
/// A rational resampling L/M and its anti-aliasing FIR filter, designed exactly as SciPy's
/// <c>resample_poly</c> designs it by default: cut-off at the lower Nyquist frequency
/// (1/max(L, M) of the up-sampled Nyquist), 2·10·max(L, M)+1 taps, Kaiser window β = 5, unit DC
/// gain times L.
/// </summary>
public sealed record ResamplerDesign
{
    private ResamplerDesign(double inputRateHz, double outputRateHz, int up, int down, double[] taps)
    {
        InputRateHz = inputRateHz;
        OutputRateHz = outputRateHz;
        Up = up;
        Down = down;
        Taps = taps;
    }

    /// <summary>Input sample rate, Hz.</summary>
    public double InputRateHz { get; }

    /// <summary>Output sample rate, Hz.</summary>
    public double OutputRateHz { get; }

    /// <summary>Up-sampling factor L.</summary>
    public int Up { get; }

    /// <summary>Down-sampling factor M.</summary>
    public int Down { get; }

    /// <summary>Filter taps at the up-sampled rate (odd length, symmetric, sum = L). Do not modify.</summary>
    public double[] Taps { get; }

    /// <summary>Half the filter length: the output is centred, output sample m estimating the input at time m·M/L.</summary>
    public int HalfLength => Taps.Length / 2;

    /// <summary>The largest L or M accepted.</summary>
    public const int MaxFactor = 10_000;

    /// <summary>Designs the resampling from <paramref name="inputRateHz"/> to <paramref name="outputRateHz"/>.</summary>
    /// <exception cref="ArgumentException">When the rates are not positive.</exception>
    /// <exception cref="UnsupportedSampleRateException">When their ratio is not a fraction with terms ≤ <see cref="MaxFactor"/>.</exception>
    public static ResamplerDesign For(double inputRateHz, double outputRateHz)
    {
        if (!(inputRateHz > 0) || !(outputRateHz > 0) || !double.IsFinite(inputRateHz) || !double.IsFinite(outputRateHz))
        {
            throw new ArgumentException($"sample rates must be positive numbers of Hz, got {inputRateHz} → {outputRateHz}.");
        }

        var (up, down) = Ratio(inputRateHz, outputRateHz);
        int maxRate = Math.Max(up, down);
        int half = 10 * maxRate;
        int length = (2 * half) + 1;
        double cutoff = 1.0 / maxRate; // relative to the up-sampled Nyquist frequency
        double beta = 5.0;
        double i0Beta = BesselI0(beta);
        var taps = new double[length];
        double sum = 0;
        for (int n = 0; n < length; n++)
        {
            double m = n - half;
            double x = cutoff * m;
            double sinc = x == 0 ? 1.0 : Math.Sin(Math.PI * x) / (Math.PI * x);
            double r = m / half;
            double window = BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - (r * r)))) / i0Beta;
            taps[n] = cutoff * sinc * window;
            sum += taps[n];
        }

        for (int n = 0; n < length; n++)
        {
            taps[n] = taps[n] / sum * up;
        }

        return new ResamplerDesign(inputRateHz, outputRateHz, up, down, taps);
    }

    /// <summary>The number of output samples for <paramref name="inputSamples"/> input samples: ⌈n·L/M⌉.</summary>
    public long OutputLength(long inputSamples) => ((inputSamples * Up) + Down - 1) / Down;

    private static (int Up, int Down) Ratio(double input, double output)
    {
        for (int digits = 0; digits <= 6; digits++)
        {
            double scale = Math.Pow(10, digits);
            double a = input * scale, b = output * scale;
            if (Math.Abs(a - Math.Round(a)) < 1e-6 && Math.Abs(b - Math.Round(b)) < 1e-6 && a < 1e15 && b < 1e15)
            {
                long la = (long)Math.Round(a), lb = (long)Math.Round(b);
                long g = Gcd(la, lb);
                long up = lb / g, down = la / g;
                if (up <= MaxFactor && down <= MaxFactor)
                {
                    return ((int)up, (int)down);
                }

                break;
            }
        }

        throw new UnsupportedSampleRateException(input, output, $"cannot resample {input} Hz to {output} Hz: the ratio is not a fraction L/M with L, M ≤ {MaxFactor}.");
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static double BesselI0(double x)
    {
        // Power series Σ ((x/2)^k / k!)²; converges fast for the β used here.
        double sum = 1, term = 1, half = x / 2;
        for (int k = 1; k < 500; k++)
        {
            term *= half / k;
            double t2 = term * term;
            sum += t2;
            if (t2 < 1e-17 * sum)
            {
                break;
            }
        }

        return sum;
    }
}
