using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Tests;

public sealed class LinearAlgebraTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void EigenDecompositionReconstructsTheMatrixWithOrthonormalVectors(int n)
    {
        var a = RandomSymmetric(n, seed: n);
        var eigen = new SymmetricEigen(n);
        eigen.Decompose(a);
        var v = eigen.Vectors;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double reconstructed = 0, gram = 0;
                for (int k = 0; k < n; k++)
                {
                    reconstructed += v[(i * n) + k] * eigen.Values[k] * v[(j * n) + k];
                    gram += v[(k * n) + i] * v[(k * n) + j];
                }

                Assert.Equal(a[(i * n) + j], reconstructed, 10);
                Assert.Equal(i == j ? 1.0 : 0.0, gram, 12);
            }
        }

        for (int k = 1; k < n; k++)
        {
            Assert.True(eigen.Values[k - 1] <= eigen.Values[k]);
        }
    }

    [Fact]
    public void InverseSquareRootTimesItselfTimesTheMatrixIsTheIdentity()
    {
        const int n = 16;
        var a = RandomSpd(n, seed: 4);
        var w = new double[n * n];
        var scratch = new double[n * n];
        Matrices.Function(new SymmetricEigen(n), a, static x => 1 / Math.Sqrt(x), w, scratch);
        var wa = new double[n * n];
        var result = new double[n * n];
        Matrices.Congruence(w, a, result, wa, n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(i == j ? 1.0 : 0.0, result[(i * n) + j], 10);
            }
        }
    }

    internal static double[] RandomSymmetric(int n, int seed)
    {
        var random = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                a[(i * n) + j] = a[(j * n) + i] = (random.NextDouble() * 2) - 1;
            }
        }

        return a;
    }

    internal static double[] RandomSpd(int n, int seed)
    {
        var random = new Random(seed);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = Signals.Gaussian(random);
        }

        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? n : 0;
                for (int k = 0; k < n; k++)
                {
                    s += b[(i * n) + k] * b[(j * n) + k];
                }

                a[(i * n) + j] = s;
            }
        }

        return a;
    }
}
