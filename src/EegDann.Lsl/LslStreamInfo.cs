using System.Globalization;
using System.Net;
using System.Xml;
using System.Xml.Linq;

namespace EegDann.Lsl;

/// <summary>
/// What an outlet says about its stream: the <c>&lt;info&gt;</c> XML of a discovery reply (short
/// form, empty <c>desc</c>) or of <c>LSL:fullinfo</c> (with channel labels and units).
/// </summary>
/// <remarks>
/// Checked as liblsl's <c>read_xml</c> checks it: a name and a uid are required, the channel
/// format must be one of the seven, the channel count positive and the ports 0–65535. The wire
/// leaves <c>v4address</c> empty; the resolver fills <see cref="Address"/> from the reply's source.
/// </remarks>
public sealed record LslStreamInfo
{
    /// <summary>The stream's name (e.g. <c>BioSemi</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Its content type (<c>EEG</c>, <c>Markers</c>…), may be empty.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>Channels per sample.</summary>
    public required int ChannelCount { get; init; }

    /// <summary>The value type of the channels.</summary>
    public required LslChannelFormat ChannelFormat { get; init; }

    /// <summary>The outlet's stable identity across restarts, may be empty (then a restart cannot be followed).</summary>
    public string SourceId { get; init; } = string.Empty;

    /// <summary>Nominal sampling rate, Hz; 0 for irregular streams (markers).</summary>
    public double NominalSrate { get; init; }

    /// <summary>Protocol version of the outlet × 100 (110 for 1.10).</summary>
    public int Version { get; init; }

    /// <summary>When the outlet was created, its local clock, seconds.</summary>
    public double CreatedAt { get; init; }

    /// <summary>This instance of the outlet (a restart gets a new one).</summary>
    public required string Uid { get; init; }

    /// <summary>The LSL session (<c>default</c> unless configured): streams of other sessions are not resolved.</summary>
    public string SessionId { get; init; } = "default";

    /// <summary>The outlet's host name.</summary>
    public string Hostname { get; init; } = string.Empty;

    /// <summary>Where the outlet is: the reply's source address (or the XML's <c>v4address</c> when it is filled), else null.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The TCP data port (stream feed, full info).</summary>
    public int DataPort { get; init; }

    /// <summary>The UDP service port (short info, time probes).</summary>
    public int ServicePort { get; init; }

    /// <summary>Channel labels from the full info's <c>desc/channels</c>, empty when the outlet gives none.</summary>
    public IReadOnlyList<string> ChannelLabels { get; init; } = [];

    /// <summary>Channel units from the full info's <c>desc/channels</c>, empty when the outlet gives none.</summary>
    public IReadOnlyList<string> ChannelUnits { get; init; } = [];

    /// <summary>Whether samples arrive at a regular rate.</summary>
    public bool IsRegular => NominalSrate > 0;

    /// <summary>Parses an <c>&lt;info&gt;</c> document.</summary>
    /// <param name="xml">The XML text.</param>
    /// <param name="origin">Where it came from, for messages (e.g. <c>reply from 127.0.0.1:16571</c>).</param>
    /// <param name="replyFrom">The address the reply came from (fills <see cref="Address"/> when the XML leaves it empty).</param>
    /// <exception cref="LslProtocolException">When it is not valid stream information (the message names <paramref name="origin"/> and every problem).</exception>
    public static LslStreamInfo Parse(string xml, string origin, IPAddress? replyFrom = null)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XElement root;
        try
        {
            root = XDocument.Parse(xml).Root ?? throw new LslProtocolException($"{origin}: the stream information is an empty XML document");
        }
        catch (XmlException e)
        {
            throw new LslProtocolException($"{origin}: the stream information is not XML ({e.Message})", e);
        }

        if (root.Name.LocalName != "info")
        {
            throw new LslProtocolException($"{origin}: the stream information's root element is <{root.Name.LocalName}>, not <info>");
        }

        var problems = new List<string>();
        string Text(string name) => root.Element(name)?.Value.Trim() ?? string.Empty;
        double Number(string name)
        {
            string text = Text(name);
            if (text.Length == 0)
            {
                return 0;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                problems.Add($"<{name}> '{text}' is not a number");
            }

            return value;
        }

        int Port(string name)
        {
            double value = Number(name);
            if (value < 0 || value > 65535 || value != Math.Floor(value))
            {
                problems.Add($"<{name}> {value} is not a port (0–65535)");
                return 0;
            }

            return (int)value;
        }

        string name = Text("name");
        string uid = Text("uid");
        if (name.Length == 0)
        {
            problems.Add("<name> is empty");
        }

        if (uid.Length == 0)
        {
            problems.Add("<uid> is empty");
        }

        string formatText = Text("channel_format");
        if (!LslChannelFormats.TryParse(formatText, out var format))
        {
            problems.Add($"<channel_format> '{formatText}' is not one of float32, double64, string, int32, int16, int8, int64");
        }

        double channels = Number("channel_count");
        if (channels < 1 || channels > 1 << 20 || channels != Math.Floor(channels))
        {
            problems.Add($"<channel_count> {channels} is not a positive whole number");
        }

        double srate = Number("nominal_srate");
        if (srate < 0)
        {
            problems.Add($"<nominal_srate> {srate} is negative");
        }

        double version = Number("version");
        double createdAt = Number("created_at");
        int dataPort = Port("v4data_port");
        int servicePort = Port("v4service_port");
        IPAddress? address = replyFrom;
        string v4 = Text("v4address");
        if (v4.Length > 0 && IPAddress.TryParse(v4, out var written))
        {
            address = written;
        }

        if (problems.Count > 0)
        {
            throw new LslProtocolException($"{origin}: invalid stream information: {string.Join("; ", problems)}");
        }

        var labels = new List<string>();
        var units = new List<string>();
        var channelElements = root.Element("desc")?.Element("channels")?.Elements("channel").ToList() ?? [];
        if (channelElements.Count == (int)channels)
        {
            foreach (var channel in channelElements)
            {
                labels.Add(channel.Element("label")?.Value.Trim() ?? string.Empty);
                units.Add(channel.Element("unit")?.Value.Trim() ?? string.Empty);
            }
        }

        return new LslStreamInfo
        {
            Name = name,
            Type = Text("type"),
            ChannelCount = (int)channels,
            ChannelFormat = format,
            SourceId = Text("source_id"),
            NominalSrate = srate,
            Version = (int)(version * 100 + 1e-9),
            CreatedAt = createdAt,
            Uid = uid,
            SessionId = Text("session_id"),
            Hostname = Text("hostname"),
            Address = address,
            DataPort = dataPort,
            ServicePort = servicePort,
            ChannelLabels = labels.All(l => l.Length > 0) ? labels : [],
            ChannelUnits = labels.All(l => l.Length > 0) ? units : [],
        };
    }

    /// <summary>A one-line description for logs: <c>CapF32 (EEG, 8 × float32 at 250 Hz, source_id CapF32_src, 127.0.0.1:16572)</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} ({(Type.Length > 0 ? Type : "no type")}, {ChannelCount} × {ChannelFormat.Name()} at {(IsRegular ? NominalSrate.ToString("G6", CultureInfo.InvariantCulture) + " Hz" : "irregular rate")}, source_id {(SourceId.Length > 0 ? SourceId : "none")}, {Address?.ToString() ?? "?"}:{DataPort})");
}
