using System.Globalization;
using System.Text;

namespace EegDann.Recordings.Import;

/// <summary>One signal of an EDF/BDF header.</summary>
/// <param name="Label">The label as written (padding trimmed on the right only).</param>
/// <param name="Transducer">Transducer type.</param>
/// <param name="Dimension">Physical dimension text, e.g. <c>uV</c>.</param>
/// <param name="PhysicalMinimum">Physical minimum.</param>
/// <param name="PhysicalMaximum">Physical maximum.</param>
/// <param name="DigitalMinimum">Digital minimum.</param>
/// <param name="DigitalMaximum">Digital maximum.</param>
/// <param name="Prefiltering">Prefiltering text.</param>
/// <param name="SamplesPerRecord">Samples of this signal in each data record.</param>
public sealed record EdfSignal(
    string Label,
    string Transducer,
    string Dimension,
    double PhysicalMinimum,
    double PhysicalMaximum,
    double DigitalMinimum,
    double DigitalMaximum,
    string Prefiltering,
    int SamplesPerRecord)
{
    /// <summary>Whether this is the EDF+/BDF+ annotation signal.</summary>
    public bool IsAnnotations => Label.Trim() is "EDF Annotations" or "BDF Annotations";
}

/// <summary>
/// The header of an EDF, EDF+, BDF or BDF+ file, parsed and checked against the file's length.
/// </summary>
/// <remarks>
/// EDF: Kemp B., Värri A., Rosa A.C., Nielsen K.D., Gade J. A simple format for exchange of
/// digitized polygraphic recordings. Electroencephalogr. Clin. Neurophysiol. 82:391-393, 1992.
/// EDF+: Kemp B., Olivan J. European data format 'plus' (EDF+). Clin. Neurophysiol. 114:1755-1761,
/// 2003. BDF: BioSemi's 24-bit variant (first byte 0xFF, <c>BIOSEMI</c>); BDF+ as EDF+ with 3-byte
/// samples.
/// </remarks>
public sealed class EdfHeader
{
    private const int FixedBytes = 256;
    private const int BytesPerSignal = 256;

    // EDF recommends records under 61440 bytes; anything near this limit is a damaged header.
    private const long MaxRecordBytes = 1L << 28;

    private EdfHeader()
    {
    }

    /// <summary>True for BDF/BDF+ (24-bit samples), false for EDF/EDF+ (16-bit).</summary>
    public bool IsBdf { get; private init; }

    /// <summary>Bytes per sample: 2 (EDF) or 3 (BDF).</summary>
    public int BytesPerSample => IsBdf ? 3 : 2;

    /// <summary>The 80-character local patient identification field, trimmed.</summary>
    public string Patient { get; private init; } = "";

    /// <summary>The 80-character local recording identification field, trimmed.</summary>
    public string RecordingId { get; private init; } = "";

    /// <summary>Start date and time of the recording as the header gives them, or null when unreadable.</summary>
    public DateTime? Start { get; private init; }

    /// <summary>Header length in bytes (256 × (signals + 1)).</summary>
    public int HeaderBytes { get; private init; }

    /// <summary>The reserved field: <c>EDF+C</c>, <c>EDF+D</c>, <c>BDF+C</c>, <c>BDF+D</c>, <c>24BIT</c> or empty.</summary>
    public string Reserved { get; private init; } = "";

    /// <summary>True when the reserved field marks EDF+/BDF+.</summary>
    public bool IsPlus => Reserved.StartsWith("EDF+", StringComparison.Ordinal) || Reserved.StartsWith("BDF+", StringComparison.Ordinal);

    /// <summary>True for EDF+D/BDF+D (records may not be contiguous).</summary>
    public bool IsDiscontinuous => Reserved is "EDF+D" or "BDF+D";

    /// <summary>Number of data records.</summary>
    public long RecordCount { get; private init; }

    /// <summary>The number of data records the header declares (more than <see cref="RecordCount"/> when a file cut short was salvaged).</summary>
    public long DeclaredRecordCount { get; private init; }

    /// <summary>Duration of one data record in seconds (0 only for annotation-only files).</summary>
    public double RecordSeconds { get; private init; }

    /// <summary>The signals, in file order.</summary>
    public IReadOnlyList<EdfSignal> Signals { get; private init; } = [];

    /// <summary>Bytes in one data record.</summary>
    public long RecordBytes { get; private init; }

    /// <summary>A short name of the format, e.g. <c>EDF+C</c> or <c>BDF</c>.</summary>
    public string FormatName => IsPlus ? Reserved : IsBdf ? "BDF" : "EDF";

    /// <summary>
    /// Reads and checks the header of <paramref name="stream"/>; every problem found is listed in
    /// one <see cref="RecordingFormatException"/>.
    /// </summary>
    /// <param name="stream">The file, positioned at 0; its length is checked against the header.</param>
    /// <param name="path">The file's path, for messages.</param>
    /// <param name="salvage">When the file is shorter than its header says, keep its complete data records (<see cref="DeclaredRecordCount"/> keeps the header's count) instead of refusing it.</param>
    public static EdfHeader Read(Stream stream, string path, bool salvage = false)
    {
        var fixedPart = new byte[FixedBytes];
        int got = ReadFully(stream, fixedPart);
        if (got < FixedBytes)
        {
            throw new RecordingFormatException(path, $"the file is {got} bytes long, shorter than the 256-byte fixed header of EDF/BDF; it is truncated or not an EDF/BDF file.");
        }

        bool isBdf = fixedPart[0] == 0xFF && Encoding.ASCII.GetString(fixedPart, 1, 7) == "BIOSEMI";
        if (!isBdf && Encoding.ASCII.GetString(fixedPart, 0, 8) != "0       ")
        {
            throw new RecordingFormatException(path, $"not an EDF or BDF file: the version field must be '0' (EDF) or 0xFF 'BIOSEMI' (BDF), found '{Printable(fixedPart, 0, 8)}'.");
        }

        var problems = new List<string>();
        string Field(int offset, int length) => Encoding.Latin1.GetString(fixedPart, offset, length);
        string patient = Field(8, 80).Trim();
        string recording = Field(88, 80).Trim();
        DateTime? start = ParseStart(Field(168, 8), Field(176, 8), recording);
        int headerBytes = ParseInt(Field(184, 8), "number of bytes in header", problems);
        string reserved = Field(192, 44).Trim();
        long records = ParseLong(Field(236, 8), "number of data records", problems);
        double recordSeconds = ParseDouble(Field(244, 8), "duration of a data record", problems);
        int signalCount = ParseInt(Field(252, 4), "number of signals", problems);
        if (problems.Count > 0)
        {
            throw Problems(path, problems);
        }

        if (signalCount < 1)
        {
            throw new RecordingFormatException(path, $"the header says {signalCount} signals; there must be at least one.");
        }

        long expectedHeader = (long)FixedBytes + (long)BytesPerSignal * signalCount;
        if (headerBytes != expectedHeader)
        {
            throw new RecordingFormatException(path,
                $"wrong signal count: the header says {signalCount} signals, which needs a header of 256 × ({signalCount} + 1) = {expectedHeader} bytes, but its header-size field says {headerBytes} bytes.");
        }

        var signalPart = new byte[expectedHeader - FixedBytes];
        got = ReadFully(stream, signalPart);
        if (got < signalPart.Length)
        {
            throw new RecordingFormatException(path, $"truncated: the header of {signalCount} signals needs {expectedHeader} bytes but the file ends after {FixedBytes + got}.");
        }

        int n = signalCount;
        int cursor = 0;
        string[] Column(int width)
        {
            var values = new string[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = Encoding.Latin1.GetString(signalPart, cursor + (i * width), width);
            }

            cursor += width * n;
            return values;
        }

        string[] labels = Column(16);
        string[] transducers = Column(80);
        string[] dimensions = Column(8);
        string[] physMin = Column(8);
        string[] physMax = Column(8);
        string[] digMin = Column(8);
        string[] digMax = Column(8);
        string[] prefilter = Column(80);
        string[] samples = Column(8);

        var signals = new EdfSignal[n];
        long recordBytes = 0;
        int bytesPerSample = isBdf ? 3 : 2;
        for (int i = 0; i < n; i++)
        {
            string label = labels[i].TrimEnd();
            string where = $"signal {i + 1} '{label.Trim()}'";
            bool annotations = label.Trim() is "EDF Annotations" or "BDF Annotations";
            int perRecord = ParseInt(samples[i], $"number of samples in each data record of {where}", problems);
            double pMin = 0, pMax = 1, dMin = 0, dMax = 1;
            if (!annotations)
            {
                // The annotation signal's scaling fields are not used (and often not filled in).
                pMin = ParseDouble(physMin[i], $"physical minimum of {where}", problems);
                pMax = ParseDouble(physMax[i], $"physical maximum of {where}", problems);
                dMin = ParseDouble(digMin[i], $"digital minimum of {where}", problems);
                dMax = ParseDouble(digMax[i], $"digital maximum of {where}", problems);
                if (double.IsFinite(dMin) && double.IsFinite(dMax) && dMax <= dMin)
                {
                    problems.Add($"{where}: digital maximum {dMax} is not above digital minimum {dMin}");
                }

                if (double.IsFinite(pMin) && double.IsFinite(pMax) && pMax == pMin)
                {
                    problems.Add($"{where}: physical minimum and maximum are both {pMin}");
                }
            }

            if (perRecord < 1)
            {
                problems.Add($"{where}: {perRecord} samples per data record");
            }

            signals[i] = new EdfSignal(label, transducers[i].Trim(), dimensions[i].Trim(), pMin, pMax, dMin, dMax, prefilter[i].Trim(), Math.Max(perRecord, 0));
            recordBytes += (long)Math.Max(perRecord, 0) * bytesPerSample;
        }

        if (!double.IsFinite(recordSeconds) || recordSeconds < 0)
        {
            problems.Add($"duration of a data record is {recordSeconds} s");
        }
        else if (recordSeconds == 0 && signals.Any(s => !s.IsAnnotations))
        {
            problems.Add("duration of a data record is 0 s but the file has ordinary signals");
        }

        if (recordBytes == 0)
        {
            problems.Add("data records hold no samples");
        }
        else if (recordBytes > MaxRecordBytes)
        {
            problems.Add($"one data record would be {recordBytes} bytes, more than the {MaxRecordBytes} EegDann accepts");
        }

        if (problems.Count > 0)
        {
            throw Problems(path, problems);
        }

        long dataBytes = stream.Length - expectedHeader;
        if (records == -1)
        {
            // -1 means 'unknown' while recording; accept it only when the data fill whole records.
            if (dataBytes % recordBytes != 0)
            {
                throw new RecordingFormatException(path,
                    $"the number of data records is -1 (unknown) and the {dataBytes} bytes after the header are not a whole number of {recordBytes}-byte records.");
            }

            records = dataBytes / recordBytes;
        }
        else if (records < 0)
        {
            throw new RecordingFormatException(path, $"the header says {records} data records.");
        }
        long declared = records;
        if (salvage && records > 0 && records * recordBytes > dataBytes)
        {
            // Cut short: the complete records before the cut.
            records = dataBytes / recordBytes;
            if (records == 0)
            {
                throw new RecordingFormatException(path, $"truncated: not one complete data record of {recordBytes} bytes after the header ({dataBytes} bytes); nothing to salvage.");
            }
        }
        else if (records * recordBytes != dataBytes)
        {
            string hint = records * recordBytes < dataBytes
                ? "The file is longer than its header says; it is corrupt (a copy whose LF bytes were turned into CR LF by a text-mode transfer looks exactly like this)."
                : "The file is truncated (import --salvage keeps the complete data records before the cut).";
            throw new RecordingFormatException(path,
                $"header and file length disagree: {records} data records × {recordBytes} bytes = {records * recordBytes} bytes of data expected after the {expectedHeader}-byte header, but the file holds {dataBytes} bytes there. {hint}");
        }

        return new EdfHeader
        {
            IsBdf = isBdf,
            Patient = patient,
            RecordingId = recording,
            Start = start,
            HeaderBytes = headerBytes,
            Reserved = reserved,
            RecordCount = records,
            DeclaredRecordCount = declared,
            RecordSeconds = recordSeconds,
            Signals = signals,
            RecordBytes = recordBytes,
        };
    }

    private static RecordingFormatException Problems(string path, List<string> problems) =>
        new(path, "invalid header: " + string.Join("; ", problems) + ".");

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static string Printable(byte[] bytes, int offset, int length) =>
        string.Concat(bytes.Skip(offset).Take(length).Select(b => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:X2}"));

    private static int ParseInt(string text, string field, List<string> problems)
    {
        long value = ParseLong(text, field, problems);
        if (value is > int.MaxValue or < int.MinValue)
        {
            problems.Add($"{field} '{text.Trim()}' is out of range");
            return 0;
        }

        return (int)value;
    }

    private static long ParseLong(string text, string field, List<string> problems)
    {
        string t = text.Trim();
        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        problems.Add($"{field} is '{t}', not a whole number");
        return 0;
    }

    private static double ParseDouble(string text, string field, List<string> problems)
    {
        string t = text.Trim();
        // double.TryParse accepts "NaN" and "Infinity": EDF numbers are plain decimals, so refuse them.
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            return value;
        }

        problems.Add(t.Contains("nan", StringComparison.OrdinalIgnoreCase)
            ? $"{field} is NaN"
            : $"{field} is '{t}', not a finite number");
        return double.NaN;
    }

    private static DateTime? ParseStart(string date, string time, string recording)
    {
        if (!DateTime.TryParseExact(time.Trim(), "HH.mm.ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var clock))
        {
            return null;
        }

        // EDF+ puts the 4-digit year in the recording field: "Startdate 12-AUG-2009 ...".
        var parts = recording.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 2 && parts[0] == "Startdate"
            && DateTime.TryParseExact(parts[1], "dd-MMM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var full))
        {
            return full.Date + clock.TimeOfDay;
        }

        var d = date.Trim().Split('.');
        if (d.Length == 3 && int.TryParse(d[0], out int day) && int.TryParse(d[1], out int month) && int.TryParse(d[2], out int yy))
        {
            // EDF's two-digit year: 85-99 are 1985-1999, 00-84 are 2000-2084.
            int year = yy >= 85 ? 1900 + yy : 2000 + yy;
            try
            {
                return new DateTime(year, month, day) + clock.TimeOfDay;
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }

        return null;
    }
}
