using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EegDann.Dsp.LinearAlgebra;

/// <summary>
/// Matrix × vector kernels for aligning samples (y = R^-1/2·x), written so that every output
/// element sees the same IEEE operations in the same order whichever kernel computes it: a
/// stream aligned one sample at a time or in pairs gives bit-identical results.
/// </summary>
public static class MatrixVector
{
    /// <summary>y = W·x (W row-major n × n): four rows at a time, each output exactly <see cref="Matrices.Dot"/>'s arithmetic (SIMD lanes over the row, then their sum).</summary>
    /// <param name="w">n × n, row-major.</param>
    /// <param name="x">n values.</param>
    /// <param name="y">Receives n values.</param>
    /// <param name="n">Size.</param>
    /// <exception cref="ArgumentException">When a span is shorter than its size.</exception>
    public static void Multiply(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int n)
    {
        Check(w, x, y, n);
        int row = 0;
        for (; row + 4 <= n; row += 4)
        {
            Dot4(w.Slice(row * n, 4 * n), x, y.Slice(row, 4), n);
        }

        for (; row < n; row++)
        {
            y[row] = Matrices.Dot(w.Slice(row * n, n), x);
        }
    }

    /// <summary>
    /// y0 = W·x0 and y1 = W·x1: four rows by two vectors at a time
    /// (each row of W loaded once for both), every output with exactly <see cref="Multiply"/>'s
    /// arithmetic in the same order, so the result is bit-identical to two calls of <see cref="Multiply"/>
    /// with half the reads of W.
    /// </summary>
    /// <param name="w">n × n, row-major.</param>
    /// <param name="x0">First vector, n values.</param>
    /// <param name="x1">Second vector, n values.</param>
    /// <param name="y0">Receives W·x0.</param>
    /// <param name="y1">Receives W·x1.</param>
    /// <param name="n">Size.</param>
    /// <exception cref="ArgumentException">When a span is shorter than its size.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPair(ReadOnlySpan<double> w, ReadOnlySpan<double> x0, ReadOnlySpan<double> x1, Span<double> y0, Span<double> y1, int n)
    {
        Check(w, x0, y0, n);
        Check(w, x1, y1, n);
        if (!Vector.IsHardwareAccelerated || n < Vector<double>.Count || n % Vector<double>.Count != 0)
        {
            Multiply(w, x0, y0, n);
            Multiply(w, x1, y1, n);
            return;
        }

        int vectors = n / Vector<double>.Count;
        var u = MemoryMarshal.Cast<double, Vector<double>>(x0[..n]);
        var v = MemoryMarshal.Cast<double, Vector<double>>(x1[..n]);
        int row = 0;
        for (; row + 4 <= n; row += 4)
        {
            var r0 = MemoryMarshal.Cast<double, Vector<double>>(w.Slice(row * n, n));
            var r1 = MemoryMarshal.Cast<double, Vector<double>>(w.Slice((row + 1) * n, n));
            var r2 = MemoryMarshal.Cast<double, Vector<double>>(w.Slice((row + 2) * n, n));
            var r3 = MemoryMarshal.Cast<double, Vector<double>>(w.Slice((row + 3) * n, n));
            Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero, a2 = Vector<double>.Zero, a3 = Vector<double>.Zero;
            Vector<double> b0 = Vector<double>.Zero, b1 = Vector<double>.Zero, b2 = Vector<double>.Zero, b3 = Vector<double>.Zero;
            for (int k = 0; k < vectors; k++)
            {
                var p = u[k];
                var q = v[k];
                var w0 = r0[k];
                var w1 = r1[k];
                var w2 = r2[k];
                var w3 = r3[k];
                a0 += w0 * p;
                a1 += w1 * p;
                a2 += w2 * p;
                a3 += w3 * p;
                b0 += w0 * q;
                b1 += w1 * q;
                b2 += w2 * q;
                b3 += w3 * q;
            }

            y0[row] = Vector.Sum(a0);
            y0[row + 1] = Vector.Sum(a1);
            y0[row + 2] = Vector.Sum(a2);
            y0[row + 3] = Vector.Sum(a3);
            y1[row] = Vector.Sum(b0);
            y1[row + 1] = Vector.Sum(b1);
            y1[row + 2] = Vector.Sum(b2);
            y1[row + 3] = Vector.Sum(b3);
        }

        for (; row < n; row++)
        {
            y0[row] = Matrices.Dot(w.Slice(row * n, n), x0);
            y1[row] = Matrices.Dot(w.Slice(row * n, n), x1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(ReadOnlySpan<double> rows, ReadOnlySpan<double> x, Span<double> result, int n)
    {
        if (!Vector.IsHardwareAccelerated || n < Vector<double>.Count)
        {
            for (int r = 0; r < 4; r++)
            {
                result[r] = Matrices.Dot(rows.Slice(r * n, n), x);
            }

            return;
        }

        int vectors = n / Vector<double>.Count, done = vectors * Vector<double>.Count;
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x[..done]);
        var r0 = MemoryMarshal.Cast<double, Vector<double>>(rows[..done]);
        var r1 = MemoryMarshal.Cast<double, Vector<double>>(rows.Slice(n, done));
        var r2 = MemoryMarshal.Cast<double, Vector<double>>(rows.Slice(2 * n, done));
        var r3 = MemoryMarshal.Cast<double, Vector<double>>(rows.Slice(3 * n, done));
        Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero, a2 = Vector<double>.Zero, a3 = Vector<double>.Zero;
        for (int k = 0; k < vectors; k++)
        {
            var v = vx[k];
            a0 += r0[k] * v;
            a1 += r1[k] * v;
            a2 += r2[k] * v;
            a3 += r3[k] * v;
        }

        double s0 = Vector.Sum(a0), s1 = Vector.Sum(a1), s2 = Vector.Sum(a2), s3 = Vector.Sum(a3);
        for (int i = done; i < n; i++)
        {
            s0 += rows[i] * x[i];
            s1 += rows[n + i] * x[i];
            s2 += rows[(2 * n) + i] * x[i];
            s3 += rows[(3 * n) + i] * x[i];
        }

        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    /// <summary>
    /// The four dot products x·a0 … x·a3 (all of x's length) with one pass over x: each result is
    /// exactly <see cref="Matrices.Dot"/>(x, a_k) (SIMD lanes, their sum, then the scalar tail), four
    /// independent accumulations instead of one dependent chain.
    /// </summary>
    /// <param name="x">The shared vector.</param>
    /// <param name="a0">First other vector, at least x's length.</param>
    /// <param name="a1">Second.</param>
    /// <param name="a2">Third.</param>
    /// <param name="a3">Fourth.</param>
    /// <param name="result">Receives the four products.</param>
    /// <exception cref="ArgumentException">When a span is shorter than x or the result shorter than 4.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4(ReadOnlySpan<double> x, ReadOnlySpan<double> a0, ReadOnlySpan<double> a1, ReadOnlySpan<double> a2, ReadOnlySpan<double> a3, Span<double> result)
    {
        int n = x.Length;
        if (a0.Length < n || a1.Length < n || a2.Length < n || a3.Length < n || result.Length < 4)
        {
            throw new ArgumentException($"four dot products with a vector of {n} need vectors of {n} and room for 4 results.");
        }

        int i = 0;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var v0 = MemoryMarshal.Cast<double, Vector<double>>(a0[..n]);
            var v1 = MemoryMarshal.Cast<double, Vector<double>>(a1[..n]);
            var v2 = MemoryMarshal.Cast<double, Vector<double>>(a2[..n]);
            var v3 = MemoryMarshal.Cast<double, Vector<double>>(a3[..n]);
            Vector<double> c0 = Vector<double>.Zero, c1 = Vector<double>.Zero, c2 = Vector<double>.Zero, c3 = Vector<double>.Zero;
            for (int k = 0; k < vx.Length; k++)
            {
                var p = vx[k];
                c0 += p * v0[k];
                c1 += p * v1[k];
                c2 += p * v2[k];
                c3 += p * v3[k];
            }

            s0 = Vector.Sum(c0);
            s1 = Vector.Sum(c1);
            s2 = Vector.Sum(c2);
            s3 = Vector.Sum(c3);
            i = vx.Length * Vector<double>.Count;
        }

        for (; i < n; i++)
        {
            s0 += x[i] * a0[i];
            s1 += x[i] * a1[i];
            s2 += x[i] * a2[i];
            s3 += x[i] * a3[i];
        }

        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    private static void Check(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int n)
    {
        if (n < 0 || w.Length < n * n || x.Length < n || y.Length < n)
        {
            throw new ArgumentException($"an {n} × {n} product needs {n * n} matrix values and vectors of {n}; got {w.Length}, {x.Length} and {y.Length}.");
        }
    }
}
