using System.Text.RegularExpressions;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// 2-D positions of the standard 10-10 electrode labels (e.g. <c>C3</c>, <c>Fc5</c>, <c>AF7</c>,
/// <c>T9</c>, <c>Iz</c>, <c>Nz</c>; case does not matter, old names T3/T4/T5/T6 are understood) on a top view
/// of the head: Cz at the centre, the nose up (+y), the right ear right (+x), the circle through
/// Fpz, T7, Oz and T8 at radius 0.4, nasion and inion at 0.5.
/// </summary>
/// <remarks>
/// Each row (Fp, AF, F, FC/FT, C/T, CP/TP, P, PO, O) is the great circle through its midline
/// electrode (10 % steps of the nasion–inion arc) and its two electrodes on the 10 % circle
/// (Fp1 18°, AF7 36°, F7 54°, FT7 72°, T7 90°, … from the nose); the electrodes of a row split
/// that arc in quarters (1/2: ¼, 3/4: ½, 5/6: ¾, 7/8: the circle, 9/10 a quarter beyond), the
/// azimuthal equidistant projection of the sphere then gives the 2-D point.
/// </remarks>
public static partial class HeadLayout
{
    private static readonly Dictionary<string, (double Midline, double Angle)> Rows = new(StringComparer.Ordinal)
    {
        ["FP"] = (0.4, 18), ["AF"] = (0.3, 36), ["F"] = (0.2, 54), ["FC"] = (0.1, 72), ["FT"] = (0.1, 72),
        ["C"] = (0.0, 90), ["T"] = (0.0, 90), ["CP"] = (-0.1, 108), ["TP"] = (-0.1, 108), ["P"] = (-0.2, 126),
        ["PO"] = (-0.3, 144), ["O"] = (-0.4, 162), ["I"] = (-0.5, 162),
    };

    private static readonly Dictionary<string, string> OldNames = new(StringComparer.Ordinal)
    {
        ["T3"] = "T7", ["T4"] = "T8", ["T5"] = "P7", ["T6"] = "P8",
    };

    /// <summary>The position of <paramref name="label"/>, or null when it is not a 10-10 label.</summary>
    public static (double X, double Y)? Position(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string name = label.Trim().TrimEnd('.').ToUpperInvariant();
        name = OldNames.GetValueOrDefault(name, name);
        if (name == "NZ")
        {
            return (0, 0.5);
        }

        var m = LabelPattern().Match(name);
        if (!m.Success || !Rows.TryGetValue(m.Groups["row"].Value, out var row))
        {
            return null;
        }

        string suffix = m.Groups["n"].Value;
        if (suffix == "Z")
        {
            return (0, row.Midline);
        }

        int n = int.Parse(suffix, System.Globalization.CultureInfo.InvariantCulture);
        int step = (n + 1) / 2;
        if (n is < 1 or > 10 || m.Groups["row"].Value == "I" || ((m.Groups["row"].Value is "FP" or "O") && step != 1) || (m.Groups["row"].Value is "FT" or "T" or "TP" && step < 4))
        {
            return null;
        }

        // Fp1/O1 lie on the 10 % circle.
        double fraction = m.Groups["row"].Value is "FP" or "O" ? 1.0 : step / 4.0;
        double side = n % 2 == 1 ? -1 : 1;
        return Project(row.Midline, row.Angle, fraction, side);
    }

    /// <summary>Whether enough of <paramref name="labels"/> are 10-10 labels to draw a head (at least three, and at least half).</summary>
    public static bool Known(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int known = labels.Count(l => Position(l) != null);
        return known >= 3 && known * 2 >= labels.Count;
    }

    private static (double X, double Y) Project(double midline, double angleDegrees, double fraction, double side)
    {
        // Unit sphere, z up (Cz), y to the nose, x to the right ear; 0.4 in the plane = 90° from Cz.
        double thetaMid = Math.Abs(midline) / 0.4 * (Math.PI / 2);
        double[] mid = [0, Math.Sign(midline) * Math.Sin(thetaMid), Math.Cos(thetaMid)];
        double a = angleDegrees * Math.PI / 180;
        double[] edge = [side * Math.Sin(a), Math.Cos(a), 0];
        double omega = Math.Acos(Math.Clamp((mid[0] * edge[0]) + (mid[1] * edge[1]) + (mid[2] * edge[2]), -1, 1));
        double[] p = new double[3];
        for (int i = 0; i < 3; i++)
        {
            p[i] = omega < 1e-9 ? mid[i] : ((Math.Sin((1 - fraction) * omega) * mid[i]) + (Math.Sin(fraction * omega) * edge[i])) / Math.Sin(omega);
        }

        double theta = Math.Acos(Math.Clamp(p[2], -1, 1));
        double planar = Math.Sqrt((p[0] * p[0]) + (p[1] * p[1]));
        double r = theta / (Math.PI / 2) * 0.4;
        return planar < 1e-12 ? (0, 0) : (Math.Round(r * p[0] / planar, 4), Math.Round(r * p[1] / planar, 4));
    }

    [GeneratedRegex(@"^(?<row>FP|AF|FC|FT|CP|TP|PO|F|C|T|P|O|I)(?<n>Z|\d{1,2})$")]
    private static partial Regex LabelPattern();
}
