using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace EegDann.Lsl;

/// <summary>How far resolve queries go (liblsl's <c>multicast.ResolveScope</c>).</summary>
public enum LslResolveScope
{
    /// <summary>This machine only: 127.0.0.1 on the query port plus a sweep of the base port range (the default).</summary>
    Machine,

    /// <summary>Also the local link: broadcast 255.255.255.255 and multicast 224.0.0.1, 224.0.0.183 (TTL 1).</summary>
    Link,

    /// <summary>Also the site: multicast 239.255.172.215 (TTL 24).</summary>
    Site,
}

/// <summary>
/// Section <c>Lsl</c>: how EegDann finds and reads Lab Streaming Layer streams (the keys of
/// liblsl's <c>lsl_api.cfg</c> that matter to an inlet, so a lab's setup carries over). Loopback
/// only unless <see cref="AllowNonLoopback"/>.
/// </summary>
public sealed class LslOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Lsl";

    /// <summary>Where resolve queries go (<c>Machine</c>, <c>Link</c>, <c>Site</c>); beyond <c>Machine</c> needs <see cref="AllowNonLoopback"/>.</summary>
    public LslResolveScope ResolveScope { get; set; } = LslResolveScope.Machine;

    /// <summary>
    /// Hosts (IP addresses) whose outlets are queried by unicast on the query port and on every
    /// port of the base range (liblsl's <c>lab.KnownPeers</c>); the way through networks without
    /// multicast (WSL2, Docker, VPNs). 127.0.0.1 is always swept.
    /// </summary>
    public List<string> KnownPeers { get; set; } = [];

    /// <summary>
    /// Outlets to use directly, <c>host:port</c> of their TCP data port, skipping discovery (their
    /// <c>LSL:fullinfo</c> is read instead).
    /// </summary>
    public List<string> Connect { get; set; } = [];

    /// <summary>The LSL session (liblsl's <c>lab.SessionID</c>): streams of other sessions are not resolved.</summary>
    [Required]
    [MinLength(1)]
    public string SessionId { get; set; } = "default";

    /// <summary>The port outlets answer resolve queries on (liblsl's <c>ports.MulticastPort</c>).</summary>
    [Range(1, 65535)]
    public int MulticastPort { get; set; } = 16571;

    /// <summary>The first port of the range where outlets bind their data and service ports (liblsl's <c>ports.BasePort</c>).</summary>
    [Range(1, 65535)]
    public int BasePort { get; set; } = 16572;

    /// <summary>How many ports the range has (liblsl's <c>ports.PortRange</c>).</summary>
    [Range(1, 1024)]
    public int PortRange { get; set; } = 32;

    /// <summary>How long a resolve listens for replies, seconds (<c>eegdann lsl list</c>; the daemon keeps trying).</summary>
    [Range(0.05, 600.0)]
    public double ResolveTimeoutSeconds { get; set; } = 2.0;

    /// <summary>Queries are sent again this often while resolving, milliseconds (liblsl's <c>MulticastMinRTT</c>, 500).</summary>
    [Range(10.0, 60000.0)]
    public double ResolveWaveMilliseconds { get; set; } = 500.0;

    /// <summary>How long connecting and the stream-feed handshake may take, seconds.</summary>
    [Range(0.05, 600.0)]
    public double ConnectTimeoutSeconds { get; set; } = 3.0;

    /// <summary>
    /// The outlet keeps at most this much unsent data for us, seconds (sent as
    /// <c>Max-Buffer-Length</c> in samples; irregular streams count 100 samples a second, as
    /// liblsl does). Small, so a consumer that falls behind drops old samples instead of
    /// decoding stale ones.
    /// </summary>
    [Range(0.01, 3600.0)]
    public double BufferSeconds { get; set; } = 2.0;

    /// <summary>
    /// A connection that delivers nothing for this long is checked, milliseconds (liblsl's watchdog
    /// waits 15 s): it is kept while the same outlet instance answers a full-info request (a marker
    /// stream between cues, a stalled outlet), else dropped and the stream resolved again. The
    /// daemon's fail-safe does not wait for this: <c>Daemon:FailSafe:StaleAfterMilliseconds</c>
    /// stops commands first.
    /// </summary>
    [Range(10.0, 600000.0)]
    public double StaleAfterMilliseconds { get; set; } = 1000.0;

    /// <summary>Time probes per burst (liblsl's <c>TimeProbeCount</c>).</summary>
    [Range(1, 100)]
    public int TimeProbeCount { get; set; } = 8;

    /// <summary>Between probes of a burst, milliseconds (liblsl's <c>TimeProbeInterval</c>).</summary>
    [Range(1.0, 10000.0)]
    public double TimeProbeIntervalMilliseconds { get; set; } = 64.0;

    /// <summary>A burst waits this long after its last probe for replies, milliseconds (liblsl's <c>TimeProbeMaxRTT</c>).</summary>
    [Range(1.0, 60000.0)]
    public double TimeProbeMaxRttMilliseconds { get; set; } = 128.0;

    /// <summary>Replies a burst needs to give an estimate (liblsl's <c>TimeUpdateMinProbes</c>).</summary>
    [Range(1, 100)]
    public int TimeProbeMinReplies { get; set; } = 6;

    /// <summary>A burst runs this often, seconds (liblsl's <c>TimeUpdateInterval</c>).</summary>
    [Range(0.05, 3600.0)]
    public double TimeUpdateSeconds { get; set; } = 2.0;

    /// <summary>Allow non-loopback peers, direct endpoints and resolve scopes beyond this machine.</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>The known peers as addresses (validated).</summary>
    public IReadOnlyList<IPAddress> KnownPeerAddresses() => KnownPeers.Select(p => IPAddress.Parse(p.Trim())).ToList();

    /// <summary>The direct endpoints (validated).</summary>
    public IReadOnlyList<IPEndPoint> ConnectEndpoints() => Connect.Select(c => ParseEndpoint(c, out var endpoint, out _) ? endpoint! : throw new FormatException(c)).ToList();

    /// <summary>The <c>Max-Buffer-Length</c> to request for a stream, samples (always ≥ 1: 0 would get no data at all).</summary>
    public int BufferSamples(double nominalSrate) =>
        (int)Math.Clamp(Math.Ceiling(BufferSeconds * (nominalSrate > 0 ? nominalSrate : 100.0)), 1, int.MaxValue);

    /// <summary>Parses <c>host:port</c> (an IP address or <c>localhost</c>).</summary>
    public static bool ParseEndpoint(string? text, out IPEndPoint? endpoint, out string? problem)
    {
        endpoint = null;
        problem = null;
        text = text?.Trim();
        int colon = text?.LastIndexOf(':') ?? -1;
        if (string.IsNullOrEmpty(text) || colon <= 0)
        {
            problem = $"'{text}' is not host:port";
            return false;
        }

        string host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            problem = $"'{text}': the port must be 1–65535";
            return false;
        }

        IPAddress? address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        if (address is null && !IPAddress.TryParse(host, out address))
        {
            problem = $"'{text}': '{host}' is not an IP address";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((long)BasePort + PortRange - 1 > 65535)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(BasePort)} {BasePort} + {nameof(PortRange)} {PortRange} goes past port 65535", [nameof(PortRange)]);
        }

        if (ResolveScope != LslResolveScope.Machine && !AllowNonLoopback)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(ResolveScope)} {ResolveScope} sends queries beyond this machine; set {SectionName}:{nameof(AllowNonLoopback)} to true as well", [nameof(ResolveScope)]);
        }

        if (TimeProbeMinReplies > TimeProbeCount)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(TimeProbeMinReplies)} {TimeProbeMinReplies} is more than {nameof(TimeProbeCount)} {TimeProbeCount}", [nameof(TimeProbeMinReplies)]);
        }

        if (SessionId.Contains('\'', StringComparison.Ordinal))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(SessionId)} cannot contain a quote (')", [nameof(SessionId)]);
        }

        foreach (var peer in KnownPeers)
        {
            if (!IPAddress.TryParse(peer?.Trim(), out var address))
            {
                yield return new ValidationResult($"{SectionName}:{nameof(KnownPeers)}: '{peer}' is not an IP address", [nameof(KnownPeers)]);
            }
            else if (!AllowNonLoopback && !IPAddress.IsLoopback(address))
            {
                yield return new ValidationResult($"{SectionName}:{nameof(KnownPeers)}: {address} is not a loopback address; set {SectionName}:{nameof(AllowNonLoopback)} to true to query other hosts", [nameof(KnownPeers)]);
            }
        }

        foreach (var direct in Connect)
        {
            if (!ParseEndpoint(direct, out var endpoint, out var problem))
            {
                yield return new ValidationResult($"{SectionName}:{nameof(Connect)}: {problem}", [nameof(Connect)]);
            }
            else if (!AllowNonLoopback && !IPAddress.IsLoopback(endpoint!.Address))
            {
                yield return new ValidationResult($"{SectionName}:{nameof(Connect)}: {endpoint} is not a loopback address; set {SectionName}:{nameof(AllowNonLoopback)} to true", [nameof(Connect)]);
            }
        }
    }
}

/// <summary>Validates <see cref="LslOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class LslOptionsValidator : IValidateOptions<LslOptions>;
