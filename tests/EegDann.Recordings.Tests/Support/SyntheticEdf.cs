using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EegDann.Recordings.Tests.Support;

/// <summary>A signal for <see cref="SyntheticEdf"/>: digital samples and the scaling of the header.</summary>
/// <remarks><paramref name="SamplesPerRecord"/>: this signal's own samples per record (its own rate), or null for the file's <see cref="SyntheticEdf.SamplesPerRecord"/>.</remarks>
public sealed record SyntheticSignal(string Label, string Dimension, double PhysicalMin, double PhysicalMax, int DigitalMin, int DigitalMax, int[] Digital, int? SamplesPerRecord = null);

/// <summary>
/// Writes small EDF/EDF+/BDF/BDF+ files per the specifications, so tests can cover formats and
/// header variants we have no real file of. Annotations become one TAL list per data record.
/// </summary>
public sealed class SyntheticEdf
{
    public bool Bdf { get; init; }

    /// <summary>Reserved field: "", "EDF+C", "EDF+D", "BDF+C", "BDF+D".</summary>
    public string Reserved { get; init; } = "";

    public string Patient { get; init; } = "X X X X";

    public double RecordSeconds { get; init; } = 1;

    public int SamplesPerRecord { get; init; } = 10;

    public List<SyntheticSignal> Signals { get; } = [];

    /// <summary>(onset, duration or null, text) annotations; placed in the record holding their onset.</summary>
    public List<(double Onset, double? Duration, string Text)> Annotations { get; } = [];

    /// <summary>Time-keeping onset of each record; default r × RecordSeconds.</summary>
    public Func<int, double>? RecordOnset { get; init; }

    /// <summary>Bytes per record of the annotation signal (in samples of 2 or 3 bytes).</summary>
    public int AnnotationSamples { get; init; } = 60;

    /// <summary>Overrides a header field after formatting: (offset, text).</summary>
    public List<(int Offset, string Text)> Patches { get; } = [];

    public byte[] Build()
    {
        bool plus = Reserved.Length > 0;
        int PerRecord(SyntheticSignal s) => s.SamplesPerRecord ?? SamplesPerRecord;
        int recordCount = Signals.Count == 0 ? 1 : Signals[0].Digital.Length / PerRecord(Signals[0]);
        int ns = Signals.Count + (plus ? 1 : 0);
        int bytesPerSample = Bdf ? 3 : 2;
        var header = new StringBuilder();
        void Field(string value, int width) => header.Append(value.Length <= width ? value.PadRight(width) : throw new ArgumentException($"'{value}' does not fit {width} characters"));
        string Num(double v) => v.ToString(CultureInfo.InvariantCulture);
        Field("", 8);
        Field(Patient, 80);
        Field("Startdate 01-JAN-2020 X X test", 80);
        Field("01.01.20", 8);
        Field("10.00.00", 8);
        Field(Num(256 * (ns + 1)), 8);
        Field(Reserved, 44);
        Field(Num(recordCount), 8);
        Field(Num(RecordSeconds), 8);
        Field(Num(ns), 4);
        var all = Signals.Select(s => (s.Label, s.Dimension, Num(s.PhysicalMin), Num(s.PhysicalMax), Num(s.DigitalMin), Num(s.DigitalMax), PerRecord(s))).ToList();
        if (plus)
        {
            all.Add((Bdf ? "BDF Annotations" : "EDF Annotations", "", "-1", "1", Bdf ? "-8388608" : "-32768", Bdf ? "8388607" : "32767", AnnotationSamples));
        }

        foreach (var s in all) Field(s.Item1, 16);
        foreach (var _ in all) Field("AgAgCl electrode", 80);
        foreach (var s in all) Field(s.Item2, 8);
        foreach (var s in all) Field(s.Item3, 8);
        foreach (var s in all) Field(s.Item4, 8);
        foreach (var s in all) Field(s.Item5, 8);
        foreach (var s in all) Field(s.Item6, 8);
        foreach (var _ in all) Field("HP:0.1Hz LP:100Hz", 80);
        foreach (var s in all) Field(Num(s.Item7), 8);
        foreach (var _ in all) Field("", 32);

        var bytes = new List<byte>(Encoding.Latin1.GetBytes(header.ToString()));
        if (Bdf)
        {
            bytes[0] = 0xFF;
            var magic = Encoding.ASCII.GetBytes("BIOSEMI");
            for (int i = 0; i < 7; i++) bytes[1 + i] = magic[i];
        }
        else
        {
            bytes[0] = (byte)'0';
        }

        foreach (var (offset, text) in Patches)
        {
            var patch = Encoding.Latin1.GetBytes(text);
            for (int i = 0; i < patch.Length; i++) bytes[offset + i] = patch[i];
        }

        for (int r = 0; r < recordCount; r++)
        {
            foreach (var s in Signals)
            {
                for (int k = 0; k < PerRecord(s); k++)
                {
                    int v = s.Digital[(r * PerRecord(s)) + k];
                    bytes.Add((byte)v);
                    bytes.Add((byte)(v >> 8));
                    if (Bdf) bytes.Add((byte)(v >> 16));
                }
            }

            if (plus)
            {
                bytes.AddRange(AnnotationRecord(r, AnnotationSamples * bytesPerSample));
            }
        }

        return bytes.ToArray();
    }

    private byte[] AnnotationRecord(int r, int size)
    {
        double start = RecordOnset?.Invoke(r) ?? r * RecordSeconds;
        var text = new StringBuilder();
        text.Append(Signed(start)).Append('\x14').Append('\x14').Append('\0');
        foreach (var (onset, duration, label) in Annotations.Where(a => (int)Math.Floor(a.Onset / RecordSeconds) == r))
        {
            text.Append(Signed(onset));
            if (duration is { } d) text.Append('\x15').Append(d.ToString(CultureInfo.InvariantCulture));
            text.Append('\x14').Append(label).Append('\x14').Append('\0');
        }

        var encoded = Encoding.UTF8.GetBytes(text.ToString());
        if (encoded.Length > size) throw new InvalidOperationException("annotations do not fit the record");
        var result = new byte[size];
        encoded.CopyTo(result, 0);
        return result;
    }

    private static string Signed(double v) => (v >= 0 ? "+" : "") + v.ToString(CultureInfo.InvariantCulture);

    public static SyntheticSignal Ramp(string label, int count, string dimension = "uV", int scale = 1) =>
        new(label, dimension, -3276.8, 3276.7, -32768, 32767, Enumerable.Range(0, count).Select(i => ((i * 37) % 2000 - 1000) * scale).ToArray());

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }
}
