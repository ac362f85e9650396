using System.Globalization;
using System.Xml.Linq;

namespace EegDann.Recordings.Import;

/// <summary>One stream of an XDF file as recorded: its header facts, samples with their raw timestamps, and clock offsets.</summary>
public sealed class XdfStream
{
    internal XdfStream(uint id, XElement header, string path)
    {
        Id = id;
        HeaderXml = header.ToString();
        Name = (string?)header.Element("name") ?? "";
        Type = (string?)header.Element("type") ?? "";
        Format = ((string?)header.Element("channel_format") ?? "").Trim();
        string count = ((string?)header.Element("channel_count") ?? "").Trim();
        string rate = ((string?)header.Element("nominal_srate") ?? "0").Trim();
        var problems = new List<string>();
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int channels) || channels < 1)
        {
            problems.Add($"channel_count is '{count}', not a positive whole number");
        }

        if (!double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out double nominal) || !double.IsFinite(nominal) || nominal < 0)
        {
            problems.Add($"nominal_srate is '{rate}', not a number ≥ 0");
        }

        ValueBytes = Format switch
        {
            "int8" => 1,
            "int16" => 2,
            "int32" or "float32" => 4,
            "int64" or "double64" => 8,
            "string" => 0,
            _ => -1,
        };
        if (ValueBytes < 0)
        {
            problems.Add($"channel_format is '{Format}', not one of int8, int16, int32, int64, float32, double64, string");
        }

        if (problems.Count > 0)
        {
            throw new RecordingFormatException(path, $"the header of stream {id} '{Name}' is invalid: {string.Join("; ", problems)}.");
        }

        ChannelCount = channels;
        NominalRateHz = nominal;
        var described = header.Element("desc")?.Element("channels")?.Elements("channel").ToList() ?? [];
        ChannelLabels = Enumerable.Range(0, channels)
            .Select(c => c < described.Count ? ((string?)described[c].Element("label") ?? "").Trim() : "")
            .ToArray();
        ChannelUnits = Enumerable.Range(0, channels)
            .Select(c => c < described.Count ? ((string?)described[c].Element("unit") ?? "").Trim() : "")
            .ToArray();
    }

    /// <summary>The stream id the file's chunks use.</summary>
    public uint Id { get; }

    /// <summary>The stream's name (<c>name</c> in its header).</summary>
    public string Name { get; }

    /// <summary>The stream's content type (<c>type</c>), e.g. <c>EEG</c> or <c>Markers</c>.</summary>
    public string Type { get; }

    /// <summary>Values per sample.</summary>
    public int ChannelCount { get; }

    /// <summary>The nominal rate in Hz; 0 for an irregular stream (markers).</summary>
    public double NominalRateHz { get; }

    /// <summary>The value format: int8, int16, int32, int64, float32, double64 or string.</summary>
    public string Format { get; }

    /// <summary>Whether the values are strings.</summary>
    public bool IsString => ValueBytes == 0;

    /// <summary>Channel labels from <c>desc/channels/channel/label</c>; empty where the header gives none.</summary>
    public IReadOnlyList<string> ChannelLabels { get; }

    /// <summary>Channel units from <c>desc/channels/channel/unit</c>; empty where the header gives none.</summary>
    public IReadOnlyList<string> ChannelUnits { get; }

    /// <summary>The stream header's XML.</summary>
    public string HeaderXml { get; }

    /// <summary>The stream footer's XML, or null when the file has none (a recording that was cut off).</summary>
    public string? FooterXml { get; internal set; }

    /// <summary>Timestamps of the samples in the sender's clock (explicit, or deduced from the nominal rate), seconds.</summary>
    public IReadOnlyList<double> Timestamps => RawTimestamps;

    /// <summary>Numeric values, sample-major (<c>sample × ChannelCount + channel</c>); empty for a string stream.</summary>
    public IReadOnlyList<double> Values => RawValues;

    /// <summary>String values, sample-major; empty for a numeric stream.</summary>
    public IReadOnlyList<string> Strings => RawStrings;

    /// <summary>Clock offsets (collection time in the sender's clock, offset to add to reach the recorder's clock), seconds, in file order.</summary>
    public IReadOnlyList<(double Time, double Value)> ClockOffsets => RawClockOffsets;

    /// <summary>Number of samples.</summary>
    public int SampleCount => RawTimestamps.Count;

    internal int ValueBytes { get; }

    internal List<double> RawTimestamps { get; } = [];

    internal List<double> RawValues { get; } = [];

    internal List<string> RawStrings { get; } = [];

    internal List<(double Time, double Value)> RawClockOffsets { get; } = [];

    // The last timestamp seen, from which a sample without one is deduced (the first starts at 0, as LabRecorder's readers do).
    internal double LastTimestamp { get; set; }
}
