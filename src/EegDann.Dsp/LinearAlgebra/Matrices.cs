using System.Numerics;
using System.Runtime.InteropServices;

namespace EegDann.Dsp.LinearAlgebra;

/// <summary>
/// Small dense-matrix kernels on row-major spans (n × n spatial matrices, channels × samples
/// windows). Allocation-free; the caller owns every buffer.
/// </summary>
public static class Matrices
{
    /// <summary>The dot product of two equally long spans (SIMD).</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b[..n]);
            var acc = Vector<double>.Zero;
            for (int k = 0; k < va.Length; k++)
            {
                acc += va[k] * vb[k];
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>The sum of a span (SIMD lanes, then the tail).</summary>
    public static double Sum(ReadOnlySpan<double> a)
    {
        int n = a.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var acc = Vector<double>.Zero;
            for (int k = 0; k < va.Length; k++)
            {
                acc += va[k];
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            sum += a[i];
        }

        return sum;
    }

    /// <summary>
    /// Σ (aᵢ − m)², with exactly the arithmetic of <see cref="Dot"/> applied to the centred span
    /// (so it equals the diagonal of a covariance computed from centred rows, bit for bit).
    /// </summary>
    public static double CenteredSumOfSquares(ReadOnlySpan<double> a, double m)
    {
        int n = a.Length, i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vm = new Vector<double>(m);
            var acc = Vector<double>.Zero;
            for (int k = 0; k < va.Length; k++)
            {
                var y = va[k] - vm;
                acc += y * y;
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            double y = a[i] - m;
            sum += y * y;
        }

        return sum;
    }

    /// <summary>destination += factor · source (SIMD).</summary>
    public static void AddScaled(Span<double> destination, ReadOnlySpan<double> source, double factor)
    {
        int n = destination.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vd = MemoryMarshal.Cast<double, Vector<double>>(destination);
            var vs = MemoryMarshal.Cast<double, Vector<double>>(source[..n]);
            var f = new Vector<double>(factor);
            for (int k = 0; k < vd.Length; k++)
            {
                vd[k] += f * vs[k];
            }

            i = vd.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            destination[i] += factor * source[i];
        }
    }

    /// <summary>C = A·B for A (m × k), B (k × n), all row-major; C must not overlap A or B.</summary>
    public static void Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n)
    {
        c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                double aip = a[(i * k) + p];
                if (aip != 0)
                {
                    AddScaled(row, b.Slice(p * n, n), aip);
                }
            }
        }
    }

    /// <summary>C = A·B·Aᵀ for A (m × n) and symmetric B (n × n); <paramref name="scratch"/> holds m × n values. The result is exactly symmetric.</summary>
    public static void Congruence(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, Span<double> scratch, int m, int n)
    {
        Multiply(a, b, scratch, m, n, n); // A·B (m × n)
        Span<double> four = stackalloc double[4];
        for (int i = 0; i < m; i++)
        {
            var abi = scratch.Slice(i * n, n);
            int j = i;

            // Four entries per pass over row i of A·B, each exactly Dot's arithmetic.
            for (; j + 4 <= m; j += 4)
            {
                MatrixVector.Dot4(abi, a.Slice(j * n, n), a.Slice((j + 1) * n, n), a.Slice((j + 2) * n, n), a.Slice((j + 3) * n, n), four);
                for (int k = 0; k < 4; k++)
                {
                    c[(i * m) + j + k] = four[k];
                    c[((j + k) * m) + i] = four[k];
                }
            }

            for (; j < m; j++)
            {
                double v = Dot(abi, a.Slice(j * n, n));
                c[(i * m) + j] = v;
                c[(j * m) + i] = v;
            }
        }
    }

    /// <summary>
    /// Applies a function to the eigenvalues of a symmetric matrix: F = V·diag(f(λ))·Vᵀ, written
    /// into <paramref name="result"/> (n × n). <paramref name="scratch"/> holds n × n values.
    /// </summary>
    public static void Function(SymmetricEigen eigen, ReadOnlySpan<double> matrix, Func<double, double> f, Span<double> result, Span<double> scratch)
    {
        int n = eigen.Size;
        eigen.Decompose(matrix);
        FromEigen(eigen, f, result, scratch);
    }

    /// <summary>V·diag(f(λ))·Vᵀ from a decomposition already made; <paramref name="scratch"/> holds at least n values. The result is exactly symmetric.</summary>
    public static void FromEigen(SymmetricEigen eigen, Func<double, double> f, Span<double> result, Span<double> scratch)
    {
        int n = eigen.Size;
        var v = eigen.Vectors;
        result[..(n * n)].Clear();
        var row = scratch[..n];
        for (int k = 0; k < n; k++)
        {
            // Rank-one update with eigenvector k: result += f(λk)·v_k·v_kᵀ, row by row (SIMD).
            double fk = f(eigen.Values[k]);
            for (int j = 0; j < n; j++)
            {
                row[j] = fk * v[(j * n) + k];
            }

            for (int i = 0; i < n; i++)
            {
                double vik = v[(i * n) + k];
                if (vik != 0)
                {
                    AddScaled(result.Slice(i * n, n), row, vik);
                }
            }
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                result[(j * n) + i] = result[(i * n) + j];
            }
        }
    }

    /// <summary>The n × n identity, row-major.</summary>
    public static double[] Identity(int n)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            m[(i * n) + i] = 1;
        }

        return m;
    }
}
