// The implicit QL sweeps on the tridiagonal form (EISPACK tql2): eigenvalues sorted ascending, eigenvector
// rotations on contiguous rows of the transpose (SIMD), and the overflow-safe hypotenuse.
namespace EegDann.Dsp.LinearAlgebra;

public sealed partial class SymmetricEigen
{
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
