using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EegDann.Lsl;

/// <summary>
/// Finds LSL streams: sends <c>LSL:shortinfo</c> queries over UDP and collects the outlets'
/// replies (their short <c>&lt;info&gt;</c> XML), de-duplicated by UID, with the address filled
/// from each reply's source. Queries go to 127.0.0.1 on the query port <b>and</b> to every port of
/// the base range on 127.0.0.1 and the known peers (a unicast to the shared query port reaches
/// only one of several outlets on a host, sccn/liblsl#92/#282), plus broadcast and multicast when
/// the scope allows; they are repeated every wave until the time is up. Direct endpoints skip
/// discovery and read <c>LSL:fullinfo</c>.
/// </summary>
public sealed class LslResolver
{
    private static readonly IPAddress[] LinkAddresses = [IPAddress.Broadcast, IPAddress.Parse("224.0.0.1"), IPAddress.Parse("224.0.0.183")];
    private static readonly IPAddress SiteAddress = IPAddress.Parse("239.255.172.215");

    private readonly LslOptions _options;

    /// <summary>Creates a resolver with validated settings.</summary>
    public LslResolver(LslOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The destinations of one wave of queries (for logs and tests).</summary>
    public IReadOnlyList<IPEndPoint> Destinations()
    {
        var targets = new List<IPEndPoint>();
        var hosts = new List<IPAddress> { IPAddress.Loopback };
        hosts.AddRange(_options.KnownPeerAddresses().Where(p => !hosts.Contains(p)));
        foreach (var host in hosts)
        {
            targets.Add(new IPEndPoint(host, _options.MulticastPort));
            for (int port = _options.BasePort; port < _options.BasePort + _options.PortRange; port++)
            {
                targets.Add(new IPEndPoint(host, port));
            }
        }

        if (_options.ResolveScope >= LslResolveScope.Link)
        {
            targets.AddRange(LinkAddresses.Select(a => new IPEndPoint(a, _options.MulticastPort)));
        }

        if (_options.ResolveScope >= LslResolveScope.Site)
        {
            targets.Add(new IPEndPoint(SiteAddress, _options.MulticastPort));
        }

        return targets;
    }

    /// <summary>
    /// Resolves streams matching <paramref name="selector"/> (every stream when null).
    /// </summary>
    /// <param name="selector">What to look for.</param>
    /// <param name="timeout">How long to listen in all.</param>
    /// <param name="minimum">Stop as soon as this many matching streams are found (after the first wave); 0 listens for the whole <paramref name="timeout"/>.</param>
    /// <param name="cancellationToken">Stops listening.</param>
    /// <returns>The streams found, in the order their first replies arrived.</returns>
    public async Task<IReadOnlyList<LslStreamInfo>> ResolveAsync(LslStreamSelector? selector, TimeSpan timeout, int minimum = 0, CancellationToken cancellationToken = default)
    {
        var found = new List<LslStreamInfo>();
        var uids = new HashSet<string>(StringComparer.Ordinal);
        void Add(LslStreamInfo info)
        {
            if ((selector is null || selector.Matches(info)) && info.SessionId == _options.SessionId && uids.Add(info.Uid))
            {
                found.Add(info);
            }
        }

        foreach (var endpoint in _options.ConnectEndpoints())
        {
            try
            {
                Add(await LslInlet.ReadFullInfoAsync(endpoint, TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds), cancellationToken));
            }
            catch (Exception e) when (e is SocketException or TimeoutException or IOException or LslProtocolException)
            {
                Failures.Add($"{endpoint}: {e.Message}");
            }
        }

        if (minimum > 0 && found.Count >= minimum)
        {
            return found;
        }

        string query = selector?.ToQuery(_options.SessionId) ?? $"session_id='{_options.SessionId}'";
        string queryId = Random.Shared.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);
        var destinations = Destinations();
        bool beyondMachine = destinations.Any(d => !IPAddress.IsLoopback(d.Address));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(beyondMachine ? IPAddress.Any : IPAddress.Loopback, 0));
        if (_options.ResolveScope >= LslResolveScope.Link)
        {
            socket.EnableBroadcast = true;
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, _options.ResolveScope == LslResolveScope.Site ? 24 : 1);
        }

        int returnPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var datagram = Encoding.ASCII.GetBytes(BuildQuery(query, returnPort, queryId));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var wave = TimeSpan.FromMilliseconds(_options.ResolveWaveMilliseconds);
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                SendWave(socket, datagram, destinations);
                using var waveEnd = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                waveEnd.CancelAfter(wave);
                try
                {
                    while (true)
                    {
                        var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), waveEnd.Token);
                        var from = (IPEndPoint)result.RemoteEndPoint;
                        var info = ParseReply(buffer.AsSpan(0, result.ReceivedBytes), queryId, from);
                        if (info != null)
                        {
                            Add(info);
                        }
                    }
                }
                catch (OperationCanceledException) when (waveEnd.IsCancellationRequested && !deadline.IsCancellationRequested)
                {
                    // The wave is over.
                }
                catch (SocketException)
                {
                    // An ICMP "port unreachable" from a swept port surfaces as a receive error on
                    // some systems; the next wave goes on.
                }

                if (minimum > 0 && found.Count >= minimum)
                {
                    return found;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return found;
        }
    }

    /// <summary>The query datagram's text: <c>LSL:shortinfo\r\n&lt;query&gt;\r\n&lt;return port&gt; &lt;query id&gt;\r\n</c>.</summary>
    public static string BuildQuery(string query, int returnPort, string queryId) =>
        string.Create(CultureInfo.InvariantCulture, $"LSL:shortinfo\r\n{query}\r\n{returnPort} {queryId}\r\n");

    /// <summary>Destinations a query could not be sent to, and direct endpoints that failed (for logs).</summary>
    public List<string> Failures { get; } = [];

    /// <summary>
    /// Parses a reply datagram <c>&lt;query id&gt;\r\n&lt;info XML&gt;</c>; null when it answers
    /// another query or is not valid stream information.
    /// </summary>
    public static LslStreamInfo? ParseReply(ReadOnlySpan<byte> datagram, string queryId, IPEndPoint from)
    {
        ArgumentNullException.ThrowIfNull(from);
        string text = Encoding.UTF8.GetString(datagram);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0 || !string.Equals(text[..newline].TrimEnd('\r').Trim(), queryId, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return LslStreamInfo.Parse(text[(newline + 1)..], $"reply from {from}", from.Address);
        }
        catch (LslProtocolException)
        {
            return null;
        }
    }

    private void SendWave(Socket socket, byte[] datagram, IReadOnlyList<IPEndPoint> destinations)
    {
        foreach (var destination in destinations)
        {
            try
            {
                socket.SendTo(datagram, destination);
            }
            catch (SocketException e)
            {
                // No route to a multicast group, broadcast not allowed on this interface: the
                // other destinations still count.
                if (Failures.Count < 64)
                {
                    Failures.Add($"{destination}: {e.SocketErrorCode}");
                }
            }
        }
    }
}
