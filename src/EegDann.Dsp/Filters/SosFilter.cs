using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EegDann.Dsp.Streaming;

namespace EegDann.Dsp.Filters;

/// <summary>
/// Runs an <see cref="SosDesign"/> causally on every channel of a stream, one filter state per
/// channel, starting from zero state: the streaming form of SciPy's <c>sosfilt</c> (transposed
/// direct form II per section).
/// </summary>
/// <remarks>
/// The inner loop goes across channels with SIMD vectors: every channel sees exactly the same
/// sequence of IEEE operations whatever the chunk sizes, so chunked and whole-signal filtering are
/// bit-identical. No allocation after construction.
/// </remarks>
public sealed class SosFilter : ISampleStage
{
    private readonly int _channels;
    private readonly int _sections;
    private readonly double[] _coefficients; // per section: b0, b1, b2, a1, a2
    private readonly double[] _z1;            // [section * channels + channel]
    private readonly double[] _z2;

    /// <summary>Creates the filter with zero state.</summary>
    /// <param name="design">Coefficients.</param>
    /// <param name="channelCount">Channels per sample, &gt; 0.</param>
    public SosFilter(SosDesign design, int channelCount)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channelCount);
        Design = design;
        _channels = channelCount;
        _sections = design.Sections.Count;
        _coefficients = new double[_sections * 5];
        for (int s = 0; s < _sections; s++)
        {
            var c = design.Sections[s];
            _coefficients[(s * 5) + 0] = c[0];
            _coefficients[(s * 5) + 1] = c[1];
            _coefficients[(s * 5) + 2] = c[2];
            _coefficients[(s * 5) + 3] = c[4];
            _coefficients[(s * 5) + 4] = c[5];
        }

        _z1 = new double[_sections * _channels];
        _z2 = new double[_sections * _channels];
    }

    /// <summary>The coefficients this filter runs.</summary>
    public SosDesign Design { get; }

    /// <inheritdoc />
    public int ChannelCount => _channels;

    /// <inheritdoc />
    public void Process(Span<double> samples, int sampleCount)
    {
        int c = _channels;
        if (samples.Length < sampleCount * c)
        {
            throw new ArgumentException($"{sampleCount} samples of {c} channels need {sampleCount * c} values, got {samples.Length}.", nameof(samples));
        }

        int width = Vector<double>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated ? c - (c % width) : 0;
        for (int n = 0; n < sampleCount; n++)
        {
            var row = samples.Slice(n * c, c);
            for (int s = 0; s < _sections; s++)
            {
                double b0 = _coefficients[(s * 5) + 0];
                double b1 = _coefficients[(s * 5) + 1];
                double b2 = _coefficients[(s * 5) + 2];
                double a1 = _coefficients[(s * 5) + 3];
                double a2 = _coefficients[(s * 5) + 4];
                var z1 = _z1.AsSpan(s * c, c);
                var z2 = _z2.AsSpan(s * c, c);
                if (vectorEnd > 0)
                {
                    SectionVector(row[..vectorEnd], z1[..vectorEnd], z2[..vectorEnd], b0, b1, b2, a1, a2);
                }

                for (int ch = vectorEnd; ch < c; ch++)
                {
                    double x = row[ch];
                    double y = (b0 * x) + z1[ch];
                    z1[ch] = (b1 * x) - (a1 * y) + z2[ch];
                    z2[ch] = (b2 * x) - (a2 * y);
                    row[ch] = y;
                }
            }
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        Array.Clear(_z1);
        Array.Clear(_z2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SectionVector(Span<double> row, Span<double> z1, Span<double> z2, double b0, double b1, double b2, double a1, double a2)
    {
        var x = MemoryMarshal.Cast<double, Vector<double>>(row);
        var s1 = MemoryMarshal.Cast<double, Vector<double>>(z1);
        var s2 = MemoryMarshal.Cast<double, Vector<double>>(z2);
        var vb0 = new Vector<double>(b0);
        var vb1 = new Vector<double>(b1);
        var vb2 = new Vector<double>(b2);
        var va1 = new Vector<double>(a1);
        var va2 = new Vector<double>(a2);
        for (int i = 0; i < x.Length; i++)
        {
            var xi = x[i];
            var y = (vb0 * xi) + s1[i];
            s1[i] = (vb1 * xi) - (va1 * y) + s2[i];
            s2[i] = (vb2 * xi) - (va2 * y);
            x[i] = y;
        }
    }
}
