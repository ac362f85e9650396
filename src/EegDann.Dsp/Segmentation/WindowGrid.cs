namespace EegDann.Dsp.Segmentation;

/// <summary>
/// The sliding-window grid: window k covers [k·stride, k·stride + length) in stream indices,
/// k = 0, 1, …, anchored at index 0 so that the same stream gives the same windows whatever its
/// chunking and wherever a replay starts. The one definition of the grid: the windowers
/// (<see cref="SlidingWindower"/>, <c>SlidingVariances</c>) cut on it and the daemon accounts
/// window positions on it.
/// </summary>
public readonly record struct WindowGrid
{
    /// <summary>Creates the grid.</summary>
    /// <param name="length">Window length in samples, &gt; 0.</param>
    /// <param name="stride">Samples between window starts, &gt; 0.</param>
    public WindowGrid(int length, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        Length = length;
        Stride = stride;
    }

    /// <summary>Window length, samples.</summary>
    public int Length { get; }

    /// <summary>Samples between window starts.</summary>
    public int Stride { get; }

    /// <summary>The start of the first window that starts at or after <paramref name="index"/> (0 for any index ≤ 0).</summary>
    public long FirstStartAtOrAfter(long index) => index <= 0 ? 0 : (index + Stride - 1) / Stride * Stride;

    /// <summary>The end (one past the last sample) of the first window that ends after <paramref name="index"/>: the smallest k·stride + length &gt; index.</summary>
    public long FirstEndAfter(long index) => FirstStartAtOrAfter(index - Length + 1) + Length;
}
