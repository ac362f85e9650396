namespace EegDann.Model;

/// <summary>
/// NumPy's legacy <c>RandomState</c> (MT19937), for the parts scikit-learn's <c>make_blobs</c> uses:
/// integer seeding, <c>normal</c> (Marsaglia's polar method with its cached second value) and
/// <c>shuffle</c> of a 1-D array. Reproduces NumPy's numbers exactly, so the toy experiment runs on
/// the very points the Python reference script draws.
/// </summary>
/// <remarks>Matsumoto &amp; Nishimura 1998; numpy/random/src/mt19937 and legacy/legacy-distributions.c.</remarks>
internal sealed class NumpyLegacyRandom
{
    private const int N = 624, M = 397;
    private readonly uint[] state = new uint[N];
    private int position;
    private bool hasGauss;
    private double gauss;

    /// <summary>Seeds like <c>numpy.random.RandomState(seed)</c>.</summary>
    public NumpyLegacyRandom(uint seed)
    {
        for (int i = 0; i < N; i++)
        {
            state[i] = seed;
            seed = unchecked(1812433253u * (seed ^ (seed >> 30)) + (uint)i + 1);
        }

        position = N;
    }

    /// <summary>The next raw 32-bit output.</summary>
    public uint NextUInt32()
    {
        if (position == N)
        {
            Generate();
        }

        uint y = state[position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>A double in [0, 1) with 53 random bits (<c>random_sample</c>).</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>A standard normal value (<c>legacy_gauss</c>).</summary>
    public double NextGaussian()
    {
        if (hasGauss)
        {
            hasGauss = false;
            return gauss;
        }

        double x1, x2, r2;
        do
        {
            x1 = 2.0 * NextDouble() - 1.0;
            x2 = 2.0 * NextDouble() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        }
        while (r2 >= 1.0 || r2 == 0.0);

        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        gauss = f * x1;
        hasGauss = true;
        return f * x2;
    }

    /// <summary>A uniform integer in [0, max] (<c>random_interval</c>, max &lt; 2³²).</summary>
    public uint NextInterval(uint max)
    {
        if (max == 0)
        {
            return 0;
        }

        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max)
        {
        }

        return value;
    }

    /// <summary>Shuffles in place like <c>RandomState.shuffle</c> on a 1-D array.</summary>
    public void Shuffle<T>(T[] values)
    {
        for (int i = values.Length - 1; i >= 1; i--)
        {
            int j = (int)NextInterval((uint)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private void Generate()
    {
        const uint upper = 0x80000000u, lower = 0x7fffffffu, matrixA = 0x9908b0dfu;
        int k;
        uint y;
        for (k = 0; k < N - M; k++)
        {
            y = (state[k] & upper) | (state[k + 1] & lower);
            state[k] = state[k + M] ^ (y >> 1) ^ ((y & 1) * matrixA);
        }

        for (; k < N - 1; k++)
        {
            y = (state[k] & upper) | (state[k + 1] & lower);
            state[k] = state[k + (M - N)] ^ (y >> 1) ^ ((y & 1) * matrixA);
        }

        y = (state[N - 1] & upper) | (state[0] & lower);
        state[N - 1] = state[M - 1] ^ (y >> 1) ^ ((y & 1) * matrixA);
        position = 0;
    }
}
