using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Tests;

public sealed class LinearAlgebraTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(7, false)]
    [InlineData(64, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    [InlineData(13, true)]
    [InlineData(64, true)]
    public void EigenDecompositionReconstructsTheMatrixWithOrthonormalVectors(int n, bool vectorized)
    {
        var a = RandomSymmetric(n, seed: n);
        var eigen = new SymmetricEigen(n, vectorized);
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

    [Theory]
    [InlineData(64, false)]
    [InlineData(64, true)]
    [InlineData(33, false)]
    public void VectorizedInverseSquareRootAgreesWithTheEispackOrderToRounding(int n, bool zeroLastRow)
    {
        // Channels scaled by up to 10 (condition number a few hundred; both solvers are backward
        // stable, so their difference grows as rounding × condition number: at 1e6 it reaches
        // 1e-11) and, in one case, a row of exact zeros off the diagonal (the reduction's scale = 0
        // branch). The real covariance sequences are in the daemon tests (OnlineAlignmentSolverTests).
        var a = RandomSpd(n, seed: 11);
        var random = new Random(5);
        for (int i = 0; i < n; i++)
        {
            double s = Math.Pow(10, random.NextDouble());
            for (int j = 0; j < n; j++)
            {
                a[(i * n) + j] *= s;
                a[(j * n) + i] *= s;
            }
        }

        if (zeroLastRow)
        {
            for (int j = 0; j < n - 1; j++)
            {
                a[((n - 1) * n) + j] = a[(j * n) + n - 1] = 0;
            }
        }

        var expected = new double[n * n];
        var actual = new double[n * n];
        var scratch = new double[n * n];
        Matrices.Function(new SymmetricEigen(n), a, static x => 1 / Math.Sqrt(x), expected, scratch);
        Matrices.Function(new SymmetricEigen(n, vectorized: true), a, static x => 1 / Math.Sqrt(x), actual, scratch);
        Assert.True(RelativeDifference(expected, actual) < 1e-12, $"relative difference {RelativeDifference(expected, actual):G3}");
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

    /// <summary>‖a − b‖_F / ‖a‖_F.</summary>
    internal static double RelativeDifference(double[] a, double[] b)
    {
        double difference = 0, norm = 0;
        for (int i = 0; i < a.Length; i++)
        {
            difference += (a[i] - b[i]) * (a[i] - b[i]);
            norm += a[i] * a[i];
        }

        return Math.Sqrt(difference / norm);
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
