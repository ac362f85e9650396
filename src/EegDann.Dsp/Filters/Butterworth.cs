using System.Numerics;
using NWaves.Filters.Base;
using NWaves.Filters.Butterworth;
using NWaves.Filters.Fda;

namespace EegDann.Dsp.Filters;

/// <summary>
/// Butterworth designs as second-order sections in double precision, on NWaves: the analog
/// prototype (<see cref="PrototypeButterworth"/>), NWaves' band transformations with pre-warped
/// bilinear transform (<see cref="DesignFilter"/>), and <see cref="DesignFilter.TfToSos"/>, which
/// pairs the zeros and poles directly (no polynomial root finding).
/// </summary>
/// <remarks>
/// NWaves normalises a band-pass to unit gain at the arithmetic mean of the two edges; the
/// Butterworth passband centre after the bilinear transform is the warped geometric centre
/// ω₀ = 2·atan(√(tan(π f₁) tan(π f₂))). The designs here re-normalise there, which is what
/// SciPy's <c>butter(..., output='sos')</c> does (for 8–30 Hz at 160 Hz the difference is a gain of
/// 1 − 5·10⁻⁶). Low-pass, high-pass and band-stop are normalised by NWaves at 0 Hz or Nyquist,
/// where Butterworth gain is exactly 1.
/// </remarks>
public static class Butterworth
{
    /// <summary>The largest order accepted (higher orders are numerically fragile and never needed for EEG).</summary>
    public const int MaxOrder = 12;

    /// <summary>Designs a band-pass filter.</summary>
    /// <param name="lowHz">Lower −3 dB edge, Hz, in (0, <paramref name="highHz"/>).</param>
    /// <param name="highHz">Upper −3 dB edge, Hz, below Nyquist.</param>
    /// <param name="order">Prototype order N (the filter has 2N poles, N sections), 1..<see cref="MaxOrder"/>.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    public static SosDesign BandPass(double lowHz, double highHz, int order, double sampleRateHz)
    {
        CheckOrder(order);
        double f1 = NormalizedFrequency.FromHz(lowHz, sampleRateHz, "band-pass low edge");
        double f2 = NormalizedFrequency.FromHz(highHz, sampleRateHz, "band-pass high edge");
        CheckEdges(lowHz, highHz, "band-pass");
        var tf = DesignFilter.IirBpTf(f1, f2, PrototypeButterworth.Poles(order));
        double centre = 2 * Math.Atan(Math.Sqrt(Math.Tan(Math.PI * f1) * Math.Tan(Math.PI * f2)));
        return ToSos(tf, $"Butterworth band-pass {Format(lowHz)}–{Format(highHz)} Hz, order {order}", sampleRateHz, centre);
    }

    /// <summary>Designs a band-stop filter (a notch when the band is narrow, e.g. 48–52 Hz for 50 Hz mains).</summary>
    /// <param name="lowHz">Lower −3 dB edge, Hz, in (0, <paramref name="highHz"/>).</param>
    /// <param name="highHz">Upper −3 dB edge, Hz, below Nyquist.</param>
    /// <param name="order">Prototype order N (2N poles, N sections), 1..<see cref="MaxOrder"/>.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    public static SosDesign BandStop(double lowHz, double highHz, int order, double sampleRateHz)
    {
        CheckOrder(order);
        double f1 = NormalizedFrequency.FromHz(lowHz, sampleRateHz, "band-stop low edge");
        double f2 = NormalizedFrequency.FromHz(highHz, sampleRateHz, "band-stop high edge");
        CheckEdges(lowHz, highHz, "band-stop");
        var tf = DesignFilter.IirBsTf(f1, f2, PrototypeButterworth.Poles(order));
        return ToSos(tf, $"Butterworth band-stop {Format(lowHz)}–{Format(highHz)} Hz, order {order}", sampleRateHz, 0);
    }

    /// <summary>
    /// Designs a notch for mains interference: a Butterworth band-stop <paramref name="widthHz"/>
    /// wide whose null falls exactly on <paramref name="frequencyHz"/>.
    /// </summary>
    /// <remarks>
    /// A band-stop's null lies at the warped geometric centre of its edges, not at their mean
    /// (48–52 Hz at 160 Hz has its null at 49.9 Hz). The edges are therefore chosen with
    /// f₂ − f₁ = width and tan(π f₁)·tan(π f₂) = tan²(π f), solved by bisection.
    /// </remarks>
    /// <param name="frequencyHz">Mains frequency, Hz (50 or 60; any value below Nyquist).</param>
    /// <param name="widthHz">Distance between the −3 dB edges, Hz, &gt; 0.</param>
    /// <param name="order">Prototype order N (2N poles, N sections), 1..<see cref="MaxOrder"/>.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    public static SosDesign Notch(double frequencyHz, double widthHz, int order, double sampleRateHz)
    {
        CheckOrder(order);
        double f = NormalizedFrequency.FromHz(frequencyHz, sampleRateHz, "notch frequency");
        if (!double.IsFinite(widthHz) || widthHz <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(widthHz), widthHz, "the notch width must be a positive number of Hz.");
        }

        double w = NormalizedFrequency.FromHz(widthHz, sampleRateHz, "notch width");
        double target = Math.Pow(Math.Tan(Math.PI * f), 2);
        double lo = Math.Max(0, f - w), hi = f;
        if (f + (w / 2) >= 0.5 || f - w / 2 <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(widthHz), widthHz, $"a notch {widthHz} Hz wide at {frequencyHz} Hz does not fit between 0 Hz and the Nyquist frequency {sampleRateHz / 2} Hz.");
        }

        for (int i = 0; i < 200 && hi - lo > 1e-16; i++)
        {
            double mid = 0.5 * (lo + hi);
            double upper = Math.Min(mid + w, 0.5 - 1e-12);
            if (Math.Tan(Math.PI * mid) * Math.Tan(Math.PI * upper) < target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        double f1 = 0.5 * (lo + hi), f2 = f1 + w;
        if (f1 <= 0 || f2 >= 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(widthHz), widthHz, $"a notch {widthHz} Hz wide at {frequencyHz} Hz does not fit between 0 Hz and the Nyquist frequency {sampleRateHz / 2} Hz.");
        }

        var tf = DesignFilter.IirBsTf(f1, f2, PrototypeButterworth.Poles(order));
        return ToSos(tf, $"Butterworth notch {Format(frequencyHz)} Hz, {Format(widthHz)} Hz wide, order {order}", sampleRateHz, 0);
    }

    /// <summary>Designs a low-pass filter.</summary>
    /// <param name="cutoffHz">−3 dB cut-off, Hz, below Nyquist.</param>
    /// <param name="order">Order N (N poles), 1..<see cref="MaxOrder"/>.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    public static SosDesign LowPass(double cutoffHz, int order, double sampleRateHz)
    {
        CheckOrder(order);
        double f = NormalizedFrequency.FromHz(cutoffHz, sampleRateHz, "low-pass cut-off");
        var tf = DesignFilter.IirLpTf(f, PrototypeButterworth.Poles(order));
        return ToSos(tf, $"Butterworth low-pass {Format(cutoffHz)} Hz, order {order}", sampleRateHz, 0);
    }

    /// <summary>Designs a high-pass filter.</summary>
    /// <param name="cutoffHz">−3 dB cut-off, Hz, below Nyquist.</param>
    /// <param name="order">Order N (N poles), 1..<see cref="MaxOrder"/>.</param>
    /// <param name="sampleRateHz">Sample rate, Hz.</param>
    public static SosDesign HighPass(double cutoffHz, int order, double sampleRateHz)
    {
        CheckOrder(order);
        double f = NormalizedFrequency.FromHz(cutoffHz, sampleRateHz, "high-pass cut-off");
        var tf = DesignFilter.IirHpTf(f, PrototypeButterworth.Poles(order));
        return ToSos(tf, $"Butterworth high-pass {Format(cutoffHz)} Hz, order {order}", sampleRateHz, Math.PI);
    }

    private static SosDesign ToSos(TransferFunction tf, string description, double sampleRateHz, double unitGainAtRadians)
    {
        var sections = DesignFilter.TfToSos(tf)
            .Select(s =>
            {
                // TfToSos pads a first-order section with a zero coefficient; keep 3 + 3 values.
                var b = Pad3(s.Numerator);
                var a = Pad3(s.Denominator);
                double a0 = a[0];
                return new[] { b[0] / a0, b[1] / a0, b[2] / a0, 1.0, a[1] / a0, a[2] / a0 };
            })
            .ToArray();

        // Unit gain at the passband reference frequency, applied to the first section.
        var z1 = Complex.FromPolarCoordinates(1, -unitGainAtRadians);
        var z2 = z1 * z1;
        Complex h = Complex.One;
        foreach (var s in sections)
        {
            h *= (s[0] + (s[1] * z1) + (s[2] * z2)) / (1 + (s[4] * z1) + (s[5] * z2));
        }

        double correction = 1 / h.Magnitude;
        for (int k = 0; k < 3; k++)
        {
            sections[0][k] *= correction;
        }

        return new SosDesign(description, sampleRateHz, sections);
    }

    private static double[] Pad3(double[] coefficients)
    {
        var result = new double[3];
        Array.Copy(coefficients, result, Math.Min(3, coefficients.Length));
        return result;
    }

    private static void CheckOrder(int order)
    {
        if (order < 1 || order > MaxOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, $"the Butterworth order must be 1..{MaxOrder}.");
        }
    }

    private static void CheckEdges(double lowHz, double highHz, string what)
    {
        if (lowHz >= highHz)
        {
            throw new ArgumentOutOfRangeException(nameof(lowHz), lowHz, $"the {what} low edge ({lowHz} Hz) must be below the high edge ({highHz} Hz).");
        }
    }

    private static string Format(double hz) => hz.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
