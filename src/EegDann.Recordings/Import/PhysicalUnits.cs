namespace EegDann.Recordings.Import;

/// <summary>
/// Converts the physical dimension a file states for a channel (EDF/BDF text such as <c>uV</c>,
/// <c>mV</c>, <c>V</c>; GDF unit codes) into the factor that brings its values to microvolts.
/// </summary>
public static class PhysicalUnits
{
    /// <summary>The unit written for every channel converted to microvolts.</summary>
    public const string Microvolt = "uV";

    /// <summary>
    /// The factor from <paramref name="dimension"/> to µV, or null when the dimension is not a voltage
    /// (e.g. <c>Boolean</c> on a BioSemi status channel, or empty); such channels keep their own unit.
    /// </summary>
    /// <param name="dimension">The text of the header's physical-dimension field, padding allowed.</param>
    public static double? MicrovoltFactor(string dimension)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        string d = dimension.Trim();
        if (d.Length == 0)
        {
            return null;
        }

        // The micro prefix appears as 'u', the micro sign U+00B5 or the Greek mu U+03BC.
        if (d.Length >= 2 && (d[^1] is 'V' or 'v'))
        {
            string prefix = d[..^1];
            switch (prefix)
            {
                case "u" or "U" or "\u00b5" or "\u03bc" or "micro":
                    return 1.0;
                case "m" or "M" or "milli":
                    // Nobody records EEG in megavolts: upper-case M is a sloppy milli.
                    return 1e3;
                case "n" or "N" or "nano":
                    return 1e-3;
                case "k" or "K":
                    return 1e9;
            }
        }

        return d is "V" or "v" or "Volt" or "volt" ? 1e6 : null;
    }

    /// <summary>
    /// The factor from a GDF 2.x physical-dimension code to µV, or null when the code is not a
    /// voltage. The code is the ISO 11073-10101 unit (volt = 4256) plus a decimal-prefix index in
    /// its low five bits (18 = milli, 19 = micro, 20 = nano).
    /// </summary>
    /// <param name="code">The 16-bit code from the GDF variable header (0 = not given).</param>
    public static double? MicrovoltFactorOfGdfCode(ushort code)
    {
        if ((code & 0xFFE0) != 4256)
        {
            return null;
        }

        return (code & 0x1F) switch
        {
            0 => 1e6,
            3 => 1e9,
            16 => 1e5,
            17 => 1e4,
            18 => 1e3,
            19 => 1.0,
            20 => 1e-3,
            21 => 1e-6,
            _ => null,
        };
    }

    /// <summary>A readable name of a GDF unit code for metadata (e.g. <c>uV</c>, or <c>code 512</c>).</summary>
    public static string DescribeGdfCode(ushort code) => code switch
    {
        0 => "",
        512 => "1",
        _ when (code & 0xFFE0) == 4256 => (code & 0x1F) switch
        {
            0 => "V",
            18 => "mV",
            19 => "uV",
            20 => "nV",
            _ => $"code {code}",
        },
        _ => $"code {code}",
    };
}
