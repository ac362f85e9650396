namespace EegDann.Lsl;

/// <summary>The value type of an LSL stream's channels (liblsl's <c>channel_format</c>).</summary>
public enum LslChannelFormat
{
    /// <summary>IEEE-754 single precision, 4 bytes.</summary>
    Float32 = 1,

    /// <summary>IEEE-754 double precision, 8 bytes.</summary>
    Double64 = 2,

    /// <summary>Variable-length strings (markers, events).</summary>
    String = 3,

    /// <summary>Signed 32-bit integers.</summary>
    Int32 = 4,

    /// <summary>Signed 16-bit integers.</summary>
    Int16 = 5,

    /// <summary>Signed 8-bit integers.</summary>
    Int8 = 6,

    /// <summary>Signed 64-bit integers.</summary>
    Int64 = 7,
}

/// <summary>Names and sizes of <see cref="LslChannelFormat"/> as they appear on the wire.</summary>
public static class LslChannelFormats
{
    /// <summary>The XML name (<c>float32</c>, <c>double64</c>, <c>string</c>, <c>int32</c>, <c>int16</c>, <c>int8</c>, <c>int64</c>).</summary>
    public static string Name(this LslChannelFormat format) => format switch
    {
        LslChannelFormat.Float32 => "float32",
        LslChannelFormat.Double64 => "double64",
        LslChannelFormat.String => "string",
        LslChannelFormat.Int32 => "int32",
        LslChannelFormat.Int16 => "int16",
        LslChannelFormat.Int8 => "int8",
        LslChannelFormat.Int64 => "int64",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an LSL channel format"),
    };

    /// <summary>Parses an XML name; false for anything liblsl would reject.</summary>
    public static bool TryParse(string? text, out LslChannelFormat format)
    {
        foreach (var candidate in Enum.GetValues<LslChannelFormat>())
        {
            if (string.Equals(candidate.Name(), text, StringComparison.Ordinal))
            {
                format = candidate;
                return true;
            }
        }

        format = default;
        return false;
    }

    /// <summary>Bytes per value on the wire (0 for strings, which are length-prefixed).</summary>
    public static int Width(this LslChannelFormat format) => format switch
    {
        LslChannelFormat.Float32 or LslChannelFormat.Int32 => 4,
        LslChannelFormat.Double64 or LslChannelFormat.Int64 => 8,
        LslChannelFormat.Int16 => 2,
        LslChannelFormat.Int8 => 1,
        LslChannelFormat.String => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an LSL channel format"),
    };

    /// <summary>
    /// The <c>Value-Size</c> header an inlet must send. For numeric formats a different size makes
    /// the outlet silently downgrade to protocol 1.00 (sccn/liblsl#144); for strings liblsl sends
    /// its <c>sizeof(std::string)</c> (32 with libstdc++) and the outlet ignores it.
    /// </summary>
    public static int ValueSizeHeader(this LslChannelFormat format) => format == LslChannelFormat.String ? 32 : format.Width();

    /// <summary>Whether the format is a floating-point type (subnormals can occur).</summary>
    public static bool IsFloatingPoint(this LslChannelFormat format) => format is LslChannelFormat.Float32 or LslChannelFormat.Double64;
}
