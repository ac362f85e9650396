using System.Text.Json;

namespace EegDann.Daemon.LiveConsole;

/// <summary>How the console's frames write numbers: rounded to a number of digits, NaN and ±∞ as null.</summary>
internal static class ConsoleJson
{
    /// <summary>Writes the property <paramref name="name"/> with <paramref name="value"/> rounded to <paramref name="digits"/> digits (null when not finite).</summary>
    public static void Number(Utf8JsonWriter w, string name, double value, int digits = 6)
    {
        w.WritePropertyName(name);
        NumberValue(w, value, digits);
    }

    /// <summary>Writes <paramref name="value"/> rounded to <paramref name="digits"/> digits (null when not finite).</summary>
    public static void NumberValue(Utf8JsonWriter w, double value, int digits)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(Math.Round(value, digits));
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
