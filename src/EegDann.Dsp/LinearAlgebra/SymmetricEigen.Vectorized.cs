// The vectorised reduction to tridiagonal form (vectorized: true): EISPACK tred2 on the transpose, so the
// inner loops walk contiguous rows, and its SIMD dot products and updates.
using System.Numerics;

namespace EegDann.Dsp.LinearAlgebra;

public sealed partial class SymmetricEigen
{
    /// <summary>
    /// <see cref="Tred2"/> on W = Vᵀ: every V[r, c] of EISPACK is W[c, r] here, so the column walks
    /// of the original become row walks (dot products and updates with SIMD).
    /// </summary>
    private void Tred2Transposed()
    {
        int n = Size;
        var w = Vectors;
        var d = Values;
        var e = _e;
        for (int j = 0; j < n; j++)
        {
            d[j] = w[(j * n) + n - 1];
        }

        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++)
            {
                scale += Math.Abs(d[k]);
            }

            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = w[(j * n) + i - 1];
                    w[(j * n) + i] = 0;
                    w[(i * n) + j] = 0;
                }
            }
            else
            {
                h = HouseholderVector(d, e, i, scale);
                double f, g;
                for (int j = 0; j < i; j++)
                {
                    // e[j] += Σ_{k≥j} A[k, j]·d[k], and e[k] += A[k, j]·d[j] for k > j (A symmetric, lower triangle in row j of W).
                    f = d[j];
                    w[(i * n) + j] = f;
                    var row = w.AsSpan((j * n) + j + 1, i - j - 1);
                    g = e[j] + (w[(j * n) + j] * f) + DotAndAddScaled(row, d.AsSpan(j + 1, i - j - 1), e.AsSpan(j + 1, i - j - 1), f);
                    e[j] = g;
                }

                Project(d, e, i, h);

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    SubtractTwoScaled(w.AsSpan((j * n) + j, i - j), e.AsSpan(j, i - j), f, d.AsSpan(j, i - j), g);
                    d[j] = w[(j * n) + i - 1];
                    w[(j * n) + i] = 0;
                }
            }

            d[i] = h;
        }

        for (int i = 0; i < n - 1; i++)
        {
            w[(i * n) + n - 1] = w[(i * n) + i];
            w[(i * n) + i] = 1;
            double h = d[i + 1];
            var next = w.AsSpan((i + 1) * n, i + 1);
            if (h != 0)
            {
                for (int k = 0; k <= i; k++)
                {
                    d[k] = next[k] / h;
                }

                for (int j = 0; j <= i; j++)
                {
                    var row = w.AsSpan(j * n, i + 1);
                    double g = Dot(next, row);
                    Matrices.AddScaled(row, d.AsSpan(0, i + 1), -g);
                }
            }

            next.Clear();
        }

        for (int j = 0; j < n; j++)
        {
            d[j] = w[(j * n) + n - 1];
            w[(j * n) + n - 1] = 0;
        }

        w[((n - 1) * n) + n - 1] = 1;
        e[0] = 0;
    }

    // Σ a[k]·b[k], while c[k] += a[k]·f.
    private static double DotAndAddScaled(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, double f)
    {
        int n = a.Length, k = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vf = new Vector<double>(f);
            var acc = Vector<double>.Zero;
            for (; k <= n - Vector<double>.Count; k += Vector<double>.Count)
            {
                var va = new Vector<double>(a[k..]);
                acc += va * new Vector<double>(b[k..]);
                (new Vector<double>(c[k..]) + (va * vf)).CopyTo(c[k..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; k < n; k++)
        {
            sum += a[k] * b[k];
            c[k] += a[k] * f;
        }

        return sum;
    }

    // Σ a[k]·b[k].
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length, k = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; k <= n - Vector<double>.Count; k += Vector<double>.Count)
            {
                acc += new Vector<double>(a[k..]) * new Vector<double>(b[k..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; k < n; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    // r[k] -= f·e[k] + g·d[k].
    private static void SubtractTwoScaled(Span<double> r, ReadOnlySpan<double> e, double f, ReadOnlySpan<double> d, double g)
    {
        int n = r.Length, k = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vf = new Vector<double>(f);
            var vg = new Vector<double>(g);
            for (; k <= n - Vector<double>.Count; k += Vector<double>.Count)
            {
                (new Vector<double>(r[k..]) - ((vf * new Vector<double>(e[k..])) + (vg * new Vector<double>(d[k..])))).CopyTo(r[k..]);
            }
        }

        for (; k < n; k++)
        {
            r[k] -= (f * e[k]) + (g * d[k]);
        }
    }
}
