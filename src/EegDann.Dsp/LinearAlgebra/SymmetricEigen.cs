using System.Numerics;

namespace EegDann.Dsp.LinearAlgebra;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix, A = V·diag(λ)·Vᵀ, by Householder
/// tridiagonalisation and the implicit QL algorithm (EISPACK tred2/tql2, as in JAMA).
/// O(n³), about 0.3 ms for 64 × 64; workspace is reused between calls.
/// </summary>
/// <remarks>
/// Two reductions to tridiagonal form: the EISPACK loop order (the default; what calibration's
/// <see cref="Alignment.EuclideanAlignment"/> uses, so model files do not change), and a vectorised
/// one (<c>vectorized: true</c>) that works on the transpose, so every inner loop runs along a
/// contiguous row with SIMD dot products and updates. The two do the same operations but sum in a
/// different order: their results agree to rounding (about 1e-14 relative), not bit for bit.
/// </remarks>
public sealed class SymmetricEigen
{
    private readonly double[] _e;

    /// <summary>Creates a solver for n × n matrices.</summary>
    /// <param name="size">n.</param>
    /// <param name="vectorized">Whether to use the vectorised reduction (faster; not bit-identical to the EISPACK order).</param>
    public SymmetricEigen(int size, bool vectorized = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
        Vectorized = vectorized;
        Values = new double[size];
        Vectors = new double[size * size];
        _e = new double[size];
    }

    /// <summary>Matrix size n.</summary>
    public int Size { get; }

    /// <summary>Whether the vectorised reduction is used.</summary>
    public bool Vectorized { get; }

    /// <summary>Eigenvalues in ascending order, after <see cref="Decompose"/>.</summary>
    public double[] Values { get; }

    /// <summary>Eigenvectors as the columns of a row-major n × n matrix (V[i, k] at i·n + k), after <see cref="Decompose"/>.</summary>
    public double[] Vectors { get; }

    /// <summary>Decomposes the symmetric matrix <paramref name="matrix"/> (row-major n × n; only symmetry is assumed, not checked).</summary>
    /// <exception cref="ArgumentException">When the matrix holds NaN or infinity.</exception>
    public void Decompose(ReadOnlySpan<double> matrix)
    {
        int n = Size;
        if (matrix.Length < n * n)
        {
            throw new ArgumentException($"a {n} × {n} matrix needs {n * n} values.", nameof(matrix));
        }

        for (int i = 0; i < n * n; i++)
        {
            if (!double.IsFinite(matrix[i]))
            {
                throw new ArgumentException("the matrix holds NaN or infinity.", nameof(matrix));
            }
        }

        if (Vectorized)
        {
            // The vectorised reduction reads the lower triangle through the transpose and leaves
            // the transpose of the Householder product, which is what the QL sweeps work on.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    Vectors[(j * n) + i] = matrix[(i * n) + j];
                }
            }

            Tred2Transposed();
        }
        else
        {
            matrix[..(n * n)].CopyTo(Vectors);
            Tred2();
            // The QL sweeps rotate pairs of eigenvector columns: work on the transpose so each rotation
            // touches two contiguous rows (SIMD), then transpose back. Same arithmetic per element.
            Transpose(Vectors, n);
        }

        Tql2();
        Transpose(Vectors, n);
    }

    private static void Transpose(double[] m, int n)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                (m[(i * n) + j], m[(j * n) + i]) = (m[(j * n) + i], m[(i * n) + j]);
            }
        }
    }

    private static void Rotate(Span<double> a, Span<double> b, double c, double s)
    {
        // (a, b) ← (c·a − s·b, s·a + c·b), element by element.
        int n = a.Length, k = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && n >= System.Numerics.Vector<double>.Count)
        {
            var va = System.Runtime.InteropServices.MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(a);
            var vb = System.Runtime.InteropServices.MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(b);
            var vc = new System.Numerics.Vector<double>(c);
            var vs = new System.Numerics.Vector<double>(s);
            for (int i = 0; i < va.Length; i++)
            {
                var h = vb[i];
                vb[i] = (vs * va[i]) + (vc * h);
                va[i] = (vc * va[i]) - (vs * h);
            }

            k = va.Length * System.Numerics.Vector<double>.Count;
        }

        for (; k < n; k++)
        {
            double h = b[k];
            b[k] = (s * a[k]) + (c * h);
            a[k] = (c * a[k]) - (s * h);
        }
    }

    private void Tred2()
    {
        int n = Size;
        var v = Vectors;
        var d = Values;
        var e = _e;
        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
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
                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0;
                    v[(j * n) + i] = 0;
                }
            }
            else
            {
                h = HouseholderVector(d, e, i, scale);
                double f, g;

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[(j * n) + i] = f;
                    g = e[j] + (v[(j * n) + j] * f);
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[(k * n) + j] * d[k];
                        e[k] += v[(k * n) + j] * f;
                    }

                    e[j] = g;
                }

                Project(d, e, i, h);

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++)
                    {
                        v[(k * n) + j] -= (f * e[k]) + (g * d[k]);
                    }

                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0;
                }
            }

            d[i] = h;
        }

        for (int i = 0; i < n - 1; i++)
        {
            v[((n - 1) * n) + i] = v[(i * n) + i];
            v[(i * n) + i] = 1;
            double h = d[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++)
                {
                    d[k] = v[(k * n) + i + 1] / h;
                }

                for (int j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (int k = 0; k <= i; k++)
                    {
                        g += v[(k * n) + i + 1] * v[(k * n) + j];
                    }

                    for (int k = 0; k <= i; k++)
                    {
                        v[(k * n) + j] -= g * d[k];
                    }
                }
            }

            for (int k = 0; k <= i; k++)
            {
                v[(k * n) + i + 1] = 0;
            }
        }

        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
            v[((n - 1) * n) + j] = 0;
        }

        v[((n - 1) * n) + n - 1] = 1;
        e[0] = 0;
    }

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

    // Scales d[0..i) by 1/scale into the Householder vector u (d[i − 1] −= g), sets e[i] = scale·g and
    // e[0..i) = 0; returns h = |u|²/2 (EISPACK tred2, shared by both loop orders).
    private static double HouseholderVector(double[] d, double[] e, int i, double scale)
    {
        double h = 0;
        for (int k = 0; k < i; k++)
        {
            d[k] /= scale;
            h += d[k] * d[k];
        }

        double f = d[i - 1];
        double g = Math.Sqrt(h);
        if (f > 0)
        {
            g = -g;
        }

        e[i] = scale * g;
        h -= f * g;
        d[i - 1] = f - g;
        for (int j = 0; j < i; j++)
        {
            e[j] = 0;
        }

        return h;
    }

    // p = A·u / h (in e) → q = p − (uᵀp / 2h)·u (EISPACK tred2, shared by both loop orders).
    private static void Project(double[] d, double[] e, int i, double h)
    {
        double f = 0;
        for (int j = 0; j < i; j++)
        {
            e[j] /= h;
            f += e[j] * d[j];
        }

        double hh = f / (h + h);
        for (int j = 0; j < i; j++)
        {
            e[j] -= hh * d[j];
        }
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

    private void Tql2()
    {
        int n = Size;
        var v = Vectors;
        var d = Values;
        var e = _e;
        for (int i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }

        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        double eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1)
                {
                    break;
                }

                m++;
            }

            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 100)
                    {
                        throw new ArithmeticException("the symmetric eigen-decomposition did not converge.");
                    }

                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0)
                    {
                        r = -r;
                    }

                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }

                    f += h;
                    p = d[m];
                    double c = 1, c2 = c, c3 = c;
                    double el1 = e[l + 1];
                    double s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                        Rotate(v.AsSpan(i * n, n), v.AsSpan((i + 1) * n, n), c, s); // rows of the transposed vectors
                    }

                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }

            d[l] += f;
            e[l] = 0;
        }

        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
            {
                if (d[j] < p)
                {
                    k = j;
                    p = d[j];
                }
            }

            if (k != i)
            {
                d[k] = d[i];
                d[i] = p;
                for (int j = 0; j < n; j++)
                {
                    (v[(i * n) + j], v[(k * n) + j]) = (v[(k * n) + j], v[(i * n) + j]); // rows of the transpose
                }
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y)
        {
            (x, y) = (y, x);
        }

        if (x == 0)
        {
            return 0;
        }

        double r = y / x;
        return x * Math.Sqrt(1 + (r * r));
    }
}
