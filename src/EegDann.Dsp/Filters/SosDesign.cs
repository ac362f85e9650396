using System.Numerics;
using System.Text.Json.Serialization;

namespace EegDann.Dsp.Filters;

/// <summary>
/// An IIR filter as a cascade of second-order sections, in double precision: the fitted form of
/// a filter step, stored in model files so that decoding runs exactly the filter that calibration ran.
/// </summary>
/// <remarks>
/// Each section is <c>[b0, b1, b2, 1, a1, a2]</c> (SciPy's <c>sos</c> layout, a0 normalised to 1):
/// H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²).
/// </remarks>
public sealed record SosDesign
{
    /// <summary>Creates a design after checking every section.</summary>
    /// <param name="description">What the filter is, e.g. <c>Butterworth band-pass 8–30 Hz, order 4</c>.</param>
    /// <param name="sampleRateHz">The rate the design is for, Hz.</param>
    /// <param name="sections">Sections in SciPy's layout, each of 6 finite values with a0 = 1.</param>
    /// <exception cref="ArgumentException">When a section is malformed.</exception>
    [JsonConstructor]
    public SosDesign(string description, double sampleRateHz, IReadOnlyList<double[]> sections)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(sections);
        if (sections.Count == 0)
        {
            throw new ArgumentException("a filter needs at least one second-order section.", nameof(sections));
        }

        for (int i = 0; i < sections.Count; i++)
        {
            var s = sections[i];
            if (s is null || s.Length != 6 || s.Any(v => !double.IsFinite(v)) || s[3] != 1.0)
            {
                throw new ArgumentException($"section {i} of '{description}' must be 6 finite values [b0, b1, b2, 1, a1, a2].", nameof(sections));
            }
        }

        Description = description;
        SampleRateHz = sampleRateHz;
        Sections = sections.Select(s => (double[])s.Clone()).ToArray();
    }

    /// <summary>What the filter is.</summary>
    public string Description { get; }

    /// <summary>The sample rate (Hz) the coefficients are for.</summary>
    public double SampleRateHz { get; }

    /// <summary>The sections, <c>[b0, b1, b2, 1, a1, a2]</c> each. Do not modify.</summary>
    public IReadOnlyList<double[]> Sections { get; }

    /// <summary>The complex frequency response at <paramref name="hz"/>.</summary>
    public Complex Response(double hz)
    {
        var z1 = Complex.FromPolarCoordinates(1, -2 * Math.PI * hz / SampleRateHz); // z^-1 on the unit circle
        var z2 = z1 * z1;
        Complex h = Complex.One;
        foreach (var s in Sections)
        {
            h *= (s[0] + (s[1] * z1) + (s[2] * z2)) / (1 + (s[4] * z1) + (s[5] * z2));
        }

        return h;
    }

    /// <summary>The magnitude of the frequency response at <paramref name="hz"/> (1 = unity gain).</summary>
    public double Gain(double hz) => Response(hz).Magnitude;

    /// <inheritdoc />
    public bool Equals(SosDesign? other) =>
        other is not null && Description == other.Description && SampleRateHz.Equals(other.SampleRateHz)
        && Sections.Count == other.Sections.Count
        && Sections.Zip(other.Sections).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Description, SampleRateHz, Sections.Count);
}
