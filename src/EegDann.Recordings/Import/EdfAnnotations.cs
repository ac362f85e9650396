using System.Globalization;
using System.Text;

namespace EegDann.Recordings.Import;

/// <summary>One time-stamped annotation list (TAL) entry of an EDF+/BDF+ annotation signal.</summary>
/// <param name="OnsetSeconds">Seconds from the file's start time (may be negative).</param>
/// <param name="DurationSeconds">Duration in seconds, or null when the TAL gives none.</param>
/// <param name="Texts">The annotations (UTF-8); empty strings are kept, so a time-keeping TAL has one empty text.</param>
public sealed record Tal(double OnsetSeconds, double? DurationSeconds, IReadOnlyList<string> Texts);

/// <summary>
/// Parses the bytes of an EDF+ annotation signal in one data record into TALs (EDF+ specification,
/// section 2.2: <c>+Onset[0x15Duration]0x14Annotation0x14…0x14 0x00</c>, then 0x00 padding).
/// </summary>
public static class EdfAnnotations
{
    private const byte DurationMark = 0x15;
    private const byte TextEnd = 0x14;
    private const byte TalEnd = 0x00;

    /// <summary>Parses every TAL in <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The annotation signal's bytes of one data record.</param>
    /// <returns>The TALs in the order written.</returns>
    /// <exception cref="FormatException">When a TAL does not follow the specification; the message gives the byte offset.</exception>
    public static IReadOnlyList<Tal> Parse(ReadOnlySpan<byte> bytes)
    {
        var result = new List<Tal>();
        int i = 0;
        while (i < bytes.Length)
        {
            if (bytes[i] == TalEnd)
            {
                i++;
                continue;
            }

            int start = i;
            int end = bytes[i..].IndexOf(TalEnd);
            if (end < 0)
            {
                throw new FormatException($"the TAL at byte {start} is not closed by a 0x00 byte");
            }

            result.Add(ParseOne(bytes.Slice(start, end), start));
            i = start + end + 1;
        }

        return result;
    }

    private static Tal ParseOne(ReadOnlySpan<byte> tal, int offset)
    {
        int firstText = tal.IndexOf(TextEnd);
        if (firstText < 0)
        {
            throw new FormatException($"the TAL at byte {offset} has no 0x14 after its onset");
        }

        var time = tal[..firstText];
        int durationMark = time.IndexOf(DurationMark);
        var onsetBytes = durationMark < 0 ? time : time[..durationMark];
        double onset = ParseNumber(onsetBytes, signed: true, "onset", offset);
        double? duration = null;
        if (durationMark >= 0)
        {
            duration = ParseNumber(time[(durationMark + 1)..], signed: false, "duration", offset);
        }

        var texts = new List<string>();
        var rest = tal[(firstText + 1)..];
        while (rest.Length > 0)
        {
            int next = rest.IndexOf(TextEnd);
            if (next < 0)
            {
                throw new FormatException($"the TAL at byte {offset} has an annotation not closed by 0x14");
            }

            texts.Add(Encoding.UTF8.GetString(rest[..next]));
            rest = rest[(next + 1)..];
        }

        if (texts.Count == 0)
        {
            texts.Add("");
        }

        return new Tal(onset, duration, texts);
    }

    private static double ParseNumber(ReadOnlySpan<byte> bytes, bool signed, string what, int offset)
    {
        string text = Encoding.ASCII.GetString(bytes);
        bool valid = text.Length > 0;
        if (signed && valid)
        {
            valid = text[0] is '+' or '-';
        }

        // Only digits and at most one decimal point after the sign: no exponents, spaces, NaN.
        int digits = 0, points = 0;
        for (int k = signed ? 1 : 0; k < text.Length && valid; k++)
        {
            if (char.IsAsciiDigit(text[k]))
            {
                digits++;
            }
            else if (text[k] == '.')
            {
                points++;
            }
            else
            {
                valid = false;
            }
        }

        if (!valid || digits == 0 || points > 1
            || !double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
        {
            throw new FormatException($"the TAL at byte {offset} has {what} '{Escape(text)}', which is not {(signed ? "a signed (+/-) decimal number" : "a decimal number")}");
        }

        return value;
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and < (char)127 ? c.ToString() : $"\\x{(int)c:X2}"));
}
