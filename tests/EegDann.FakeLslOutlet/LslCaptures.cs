using System.Text.Json;

namespace EegDann.FakeLslOutlet;

/// <summary>One captured exchange with a real liblsl 1.17.5 outlet (tests/data/lsl/liblsl-1.17.5-captures.json).</summary>
public sealed record LslCaptureScenario(
    string Name,
    string Note,
    string UdpQuery,
    string UdpReply,
    string FullInfoReply,
    string FeedRequest,
    byte[] FeedResponse)
{
    /// <summary>The stream's name as the outlet announced it (<c>CapF32</c>…).</summary>
    public string StreamName => ShortInfoXml.Split("<name>")[1].Split("</name>")[0];

    /// <summary>The reply's XML (after the query id line).</summary>
    public string ShortInfoXml => UdpReply[(UdpReply.IndexOf('\n', StringComparison.Ordinal) + 1)..];

    /// <summary>The UID the captured feed request asked for.</summary>
    public string RequestedUid => FeedRequest.Split("\r\n")[0].Split(' ') is var parts && parts.Length > 1 ? parts[1] : string.Empty;
}

/// <summary>The capture file: scenarios, the time-probe transcript and the restart facts.</summary>
public sealed class LslCaptures
{
    private LslCaptures(IReadOnlyList<LslCaptureScenario> scenarios, IReadOnlyList<CapturedTimeProbe> probes, JsonElement restart)
    {
        Scenarios = scenarios;
        TimeProbes = probes;
        Restart = restart;
    }

    /// <summary>Every scenario.</summary>
    public IReadOnlyList<LslCaptureScenario> Scenarios { get; }

    /// <summary>The 8 probe/reply pairs with the client's receive time.</summary>
    public IReadOnlyList<CapturedTimeProbe> TimeProbes { get; }

    /// <summary>The restart facts (old and new UID, the 404 for the old one).</summary>
    public JsonElement Restart { get; }

    /// <summary>A scenario by name (e.g. <c>float32_8ch_250Hz_push_sample</c>) or by stream name (<c>CapF32</c>).</summary>
    public LslCaptureScenario Get(string name) =>
        Scenarios.FirstOrDefault(s => s.Name == name || s.StreamName == name)
        ?? throw new ArgumentException($"no captured scenario '{name}' (known: {string.Join(", ", Scenarios.Select(s => s.StreamName))})", nameof(name));

    /// <summary>Loads the capture file.</summary>
    public static LslCaptures Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var scenarios = root.GetProperty("scenarios").EnumerateArray().Select(s => new LslCaptureScenario(
            s.GetProperty("name").GetString()!,
            s.GetProperty("note").GetString()!,
            s.GetProperty("udp_query").GetString()!,
            s.GetProperty("udp_reply").GetString()!,
            s.GetProperty("fullinfo_reply").GetString()!,
            s.GetProperty("feed_request").GetString()!,
            Convert.FromHexString(s.GetProperty("feed_response_hex").GetString()!))).ToList();
        var probes = root.GetProperty("timedata").GetProperty("probes").EnumerateArray().Select(p => new CapturedTimeProbe(
            p.GetProperty("request").GetString()!,
            p.GetProperty("reply").GetString()!,
            p.GetProperty("t3_local").GetDouble())).ToList();
        return new LslCaptures(scenarios, probes, root.GetProperty("restart").Clone());
    }
}

/// <summary>A captured time probe: the request sent, the outlet's reply and the local receive time.</summary>
public sealed record CapturedTimeProbe(string Request, string Reply, double T3);
