using EegDann.Dsp.LinearAlgebra;

namespace EegDann.Dsp.Alignment;

/// <summary>
/// Feeds an <see cref="OnlineEuclideanAlignment"/> from whole windows as a window path cuts them
/// (bands × channels × samples, channel-major, band-major): each window gives the estimate only the
/// samples no earlier window gave it since the last <see cref="Restart"/> (all of the first window's,
/// then the part past the previous window's end), the same samples in the same order as
/// <see cref="Features.SlidingVariances"/> gives it from its stream history, so the estimates are equal bit for bit.
/// </summary>
/// <param name="alignment">The estimate.</param>
/// <param name="length">Window length, samples.</param>
public sealed class WindowSampleObserver(OnlineEuclideanAlignment alignment, int length)
{
    private readonly double[] _samples = new double[length * alignment.ChannelCount];
    private long _observedEnd = -1;

    /// <summary>Gives the estimate the new samples of the window starting at stream index <paramref name="start"/>, and counts the window.</summary>
    public void Observe(ReadOnlySpan<double> window, long start)
    {
        int n = alignment.ChannelCount, size = n * length;
        int from = (int)(Math.Max(start, _observedEnd) - start);
        for (int b = 0; b < alignment.Bands; b++)
        {
            int count = OuterProducts.ToSampleMajor(window.Slice(b * size, size), n, length, from, _samples);
            alignment.Accumulate(b, _samples, count);
        }

        alignment.Observe(length - from);
        _observedEnd = start + length;
    }

    /// <summary>After a gap: the next window's samples are all new.</summary>
    public void Restart() => _observedEnd = -1;
}
