using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EegDann.Dsp.LinearAlgebra;

/// <summary>
/// Running sums of outer products Σ x·xᵀ, what a running estimate of a second moment adds up. Every
/// entry of the upper triangle gets the products of its pair of values added to it one sample at a
/// time, in sample order, whatever the layout the samples come in and however they are split into
/// calls, so the live path (samples one after the other) and a batch path (a window, channel by
/// channel) keep the same sums bit for bit from the same samples.
/// </summary>
public static class OuterProducts
{
    /// <summary>
    /// <paramref name="sum"/> += Σ_s x_s·x_sᵀ over <paramref name="count"/> vectors of n values stored
    /// one after the other, on the upper triangle only: row i from the SIMD chunk holding column i
    /// (entries left of the diagonal in that chunk are summed too, and are not to be read; read (i, j)
    /// with i ≤ j, see <see cref="Upper"/>). Each row's entries are loaded into registers, get the
    /// vectors' products in order, four SIMD chunks at a time, and are stored once (no bounds checks
    /// in the inner loop: the spans' lengths are checked on entry).
    /// </summary>
    /// <exception cref="ArgumentException">When a span is shorter than its size.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddUpper(ReadOnlySpan<double> x, int count, int n, Span<double> sum)
    {
        if (count < 0 || x.Length < count * n || sum.Length < n * n)
        {
            throw new ArgumentException("the spans are shorter than their sizes.");
        }

        int width = Vector.IsHardwareAccelerated ? Vector<double>.Count : n + 1;
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double r0 = ref MemoryMarshal.GetReference(sum);
        for (int i = 0; i < n; i++)
        {
            ref double row = ref Unsafe.Add(ref r0, i * n);
            int j = width <= n ? i - (i % width) : 0;
            for (; j + (4 * width) <= n; j += 4 * width)
            {
                var a0 = Vector.LoadUnsafe(ref row, (nuint)j);
                var a1 = Vector.LoadUnsafe(ref row, (nuint)(j + width));
                var a2 = Vector.LoadUnsafe(ref row, (nuint)(j + (2 * width)));
                var a3 = Vector.LoadUnsafe(ref row, (nuint)(j + (3 * width)));
                for (int s = 0; s < count; s++)
                {
                    ref double xs = ref Unsafe.Add(ref x0, s * n);
                    var xi = new Vector<double>(Unsafe.Add(ref xs, i));
                    a0 += xi * Vector.LoadUnsafe(ref xs, (nuint)j);
                    a1 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + width));
                    a2 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + (2 * width)));
                    a3 += xi * Vector.LoadUnsafe(ref xs, (nuint)(j + (3 * width)));
                }

                a0.StoreUnsafe(ref row, (nuint)j);
                a1.StoreUnsafe(ref row, (nuint)(j + width));
                a2.StoreUnsafe(ref row, (nuint)(j + (2 * width)));
                a3.StoreUnsafe(ref row, (nuint)(j + (3 * width)));
            }

            for (; j + width <= n; j += width)
            {
                var a = Vector.LoadUnsafe(ref row, (nuint)j);
                for (int s = 0; s < count; s++)
                {
                    ref double xs = ref Unsafe.Add(ref x0, s * n);
                    a += new Vector<double>(Unsafe.Add(ref xs, i)) * Vector.LoadUnsafe(ref xs, (nuint)j);
                }

                a.StoreUnsafe(ref row, (nuint)j);
            }

            for (; j < n; j++)
            {
                double a = Unsafe.Add(ref row, j);
                for (int s = 0; s < count; s++)
                {
                    a += x[(s * n) + i] * x[(s * n) + j];
                }

                Unsafe.Add(ref row, j) = a;
            }
        }
    }

    /// <summary>Entry (i, j) of a symmetric sum kept by <see cref="AddUpper"/>: read from the upper triangle.</summary>
    public static double Upper(ReadOnlySpan<double> sum, int n, int i, int j) => i <= j ? sum[(i * n) + j] : sum[(j * n) + i];

    /// <summary>
    /// Samples [<paramref name="from"/>, <paramref name="samples"/>) of a window stored channel by channel
    /// (<paramref name="channels"/> × <paramref name="samples"/>) laid out sample by sample in
    /// <paramref name="destination"/>, as <see cref="AddUpper"/> reads them.
    /// </summary>
    /// <returns>How many samples (samples − from).</returns>
    public static int ToSampleMajor(ReadOnlySpan<double> window, int channels, int samples, int from, Span<double> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, samples);
        int count = samples - from;
        for (int c = 0; c < channels; c++)
        {
            var row = window.Slice((c * samples) + from, count);
            for (int s = 0; s < count; s++)
            {
                destination[(s * channels) + c] = row[s];
            }
        }

        return count;
    }
}
