using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace EegDann.Daemon.Output;

/// <summary>What a listener heard.</summary>
/// <param name="Datagrams">Messages received.</param>
/// <param name="FirstSeq">The first <c>seq</c>, or 0.</param>
/// <param name="LastSeq">The last <c>seq</c>, or 0.</param>
/// <param name="SeqGaps">Times <c>seq</c> did not go up by exactly 1.</param>
/// <param name="Commands">Messages per command.</param>
/// <param name="Reasons">Fail-safe messages per reason.</param>
/// <param name="LatencyP50Ms">Median <c>latency_ms</c> (NaN without any).</param>
/// <param name="LatencyP99Ms">99th percentile of <c>latency_ms</c> (nearest rank).</param>
/// <param name="LatencyMaxMs">Largest <c>latency_ms</c>.</param>
/// <param name="Models">Model ids seen, in order of first appearance.</param>
/// <param name="Seconds">From the first to the last message, s.</param>
public sealed record ListenSummary(
    long Datagrams,
    long FirstSeq,
    long LastSeq,
    long SeqGaps,
    IReadOnlyDictionary<string, long> Commands,
    IReadOnlyDictionary<string, long> Reasons,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double LatencyMaxMs,
    IReadOnlyList<string> Models,
    double Seconds);

/// <summary>
/// Receives the daemon's decision datagrams (a controller's view, for people and scripts):
/// hands each message on and sums them up (sequence gaps, commands, fail-safe reasons, latency).
/// </summary>
public sealed class DecisionListener : IDisposable
{
    private readonly UdpClient _client;
    private readonly List<double> _latencies = [];
    private readonly Dictionary<string, long> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private readonly List<string> _models = [];
    private long _datagrams;
    private long _firstSeq;
    private long _lastSeq;
    private long _gaps;
    private DateTime _first;
    private DateTime _last;

    /// <summary>Binds the listening socket.</summary>
    /// <param name="endpoint">Where the daemon sends (its Daemon:Output:Udp).</param>
    public DecisionListener(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _client = new UdpClient(endpoint);
        _client.Client.ReceiveBufferSize = 1 << 20;
        LocalEndpoint = (IPEndPoint)_client.Client.LocalEndPoint!;
    }

    /// <summary>The bound endpoint.</summary>
    public IPEndPoint LocalEndpoint { get; }

    /// <summary>
    /// Receives until <paramref name="count"/> messages arrived (0: no limit), nothing arrived for
    /// <paramref name="idle"/> (after the first message; null: no limit) or cancellation.
    /// </summary>
    /// <param name="onMessage">Receives each message's text.</param>
    /// <param name="count">Messages to wait for; 0 for no limit.</param>
    /// <param name="idle">Stop after this long without a message once one arrived; null to wait forever.</param>
    /// <param name="cancellationToken">Stops listening.</param>
    public async Task<ListenSummary> ListenAsync(Action<string>? onMessage, long count, TimeSpan? idle, CancellationToken cancellationToken)
    {
        while (count <= 0 || _datagrams < count)
        {
            UdpReceiveResult result;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (idle is { } limit && _datagrams > 0)
            {
                wait.CancelAfter(limit);
            }

            try
            {
                result = await _client.ReceiveAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            string text = Encoding.UTF8.GetString(result.Buffer);
            Add(text);
            onMessage?.Invoke(text);
        }

        return Summary();
    }

    /// <summary>Adds one message to the summary (exposed for tests).</summary>
    public void Add(string message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        long seq = root.GetProperty("seq").GetInt64();
        if (_datagrams == 0)
        {
            _firstSeq = seq;
            _first = DateTime.UtcNow;
        }
        else if (seq != _lastSeq + 1)
        {
            _gaps++;
        }

        _datagrams++;
        _lastSeq = seq;
        _last = DateTime.UtcNow;
        string command = root.GetProperty("command").GetString() ?? "?";
        _commands[command] = _commands.GetValueOrDefault(command) + 1;
        if (root.TryGetProperty("reason", out var reason))
        {
            string name = reason.GetString() ?? "?";
            _reasons[name] = _reasons.GetValueOrDefault(name) + 1;
        }

        if (root.GetProperty("latency_ms") is { ValueKind: JsonValueKind.Number } latency)
        {
            _latencies.Add(latency.GetDouble());
        }

        string model = root.GetProperty("model").GetString() ?? string.Empty;
        if (!_models.Contains(model))
        {
            _models.Add(model);
        }
    }

    /// <summary>The summary so far.</summary>
    public ListenSummary Summary()
    {
        var sorted = _latencies.Order().ToArray();
        return new ListenSummary(
            _datagrams,
            _firstSeq,
            _lastSeq,
            _gaps,
            new SortedDictionary<string, long>(_commands, StringComparer.Ordinal),
            new SortedDictionary<string, long>(_reasons, StringComparer.Ordinal),
            NearestRank(sorted, 0.5),
            NearestRank(sorted, 0.99),
            sorted.Length > 0 ? sorted[^1] : double.NaN,
            _models.ToArray(),
            _datagrams > 0 ? (_last - _first).TotalSeconds : 0);
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>The nearest-rank quantile of sorted values (NaN when empty).</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        int rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
