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
public sealed partial class SymmetricEigen
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
        Reduce(matrix);
        Sweep();
        Complete();
    }

    /// <summary>
    /// The first of the three parts of <see cref="Decompose"/>, which a caller may spread over time
    /// (the same operations in the same order, so the same result bit for bit): the Householder
    /// reduction to tridiagonal form (about a third of the work).
    /// </summary>
    /// <exception cref="ArgumentException">When the matrix holds NaN or infinity.</exception>
    internal void Reduce(ReadOnlySpan<double> matrix)
    {
        int n = Size;
        if (matrix.Length < n * n)
        {
            throw new ArgumentException($"a {n} × {n} matrix needs {n * n} values.", nameof(matrix));
        }

        ThrowIfNotFinite(matrix[..(n * n)]);
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
    }

    /// <summary>The check <see cref="Reduce"/> begins with: refuses a matrix that holds NaN or infinity.</summary>
    /// <exception cref="ArgumentException">When it does.</exception>
    internal static void ThrowIfNotFinite(ReadOnlySpan<double> matrix)
    {
        foreach (double value in matrix)
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentException("the matrix holds NaN or infinity.", nameof(matrix));
            }
        }
    }

    /// <summary>The second part of <see cref="Decompose"/>, after <see cref="Reduce"/>: the implicit QL sweeps (about half of the work).</summary>
    internal void Sweep() => Tql2();

    /// <summary>The last part of <see cref="Decompose"/>, after <see cref="Sweep"/>: the eigenvectors back into columns.</summary>
    internal void Complete() => Transpose(Vectors, Size);

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
}
