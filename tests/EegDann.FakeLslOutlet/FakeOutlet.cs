using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using EegDann.Lsl;

namespace EegDann.FakeLslOutlet;

/// <summary>What a fake outlet announces and where it binds.</summary>
public sealed record FakeOutletSettings
{
    public required string Name { get; init; }

    public string Type { get; init; } = "EEG";

    public int ChannelCount { get; init; } = 1;

    public LslChannelFormat Format { get; init; } = LslChannelFormat.Float32;

    public double NominalSrate { get; init; } = 250;

    public string SourceId { get; init; } = string.Empty;

    public string SessionId { get; init; } = "default";

    public IReadOnlyList<string> ChannelLabels { get; init; } = [];

    public string ChannelUnit { get; init; } = "microvolts";

    /// <summary>The shared query port (liblsl's 16571), bound with reuse-address; 0: none.</summary>
    public int QueryPort { get; init; }

    /// <summary>The data and service ports are the first free ones from here (liblsl's base range); 0: any free port.</summary>
    public int BasePort { get; init; }

    public int PortRange { get; init; } = 32;

    /// <summary>Added to the local clock in time-probe replies, seconds (an outlet on another host's clock).</summary>
    public double ClockOffsetSeconds { get; init; }

    /// <summary>A captured liblsl exchange to serve instead of generated samples.</summary>
    public LslCaptureScenario? Capture { get; init; }

    /// <summary>Close a capture's feed connection after its bytes (as the captured outlet did), else keep it open and idle.</summary>
    public bool CloseAfterCapture { get; init; }

    /// <summary>The captured outlet's UID (capture mode), else a fresh one.</summary>
    public string? Uid { get; init; }
}

/// <summary>
/// An LSL outlet written from PROTOCOL.md, for tests and demos: answers <c>LSL:shortinfo</c> on
/// its query and service ports (evaluating liblsl-style <c>prop='value' and …</c> queries),
/// <c>LSL:timedata</c> on its service port, <c>LSL:fullinfo</c> and <c>LSL:streamfeed/110</c>
/// on its TCP data port (404 for another UID, 505 for a newer protocol, the 1.00 downgrade on a
/// wrong <c>Value-Size</c>, byte swapping for big-endian clients, a per-consumer queue that drops
/// its oldest samples when full). Faults on demand: <see cref="Stall"/>, <see cref="RestartAsync"/>
/// (a new UID and new ports), <see cref="TruncateNextSample"/>.
/// </summary>
public sealed class FakeOutlet : IAsyncDisposable
{
    private static readonly byte[] TestPatternStamp = BitConverter.GetBytes(LslFeedHandshake.TestPatternTimestamp);
    private readonly FakeOutletSettings _settings;
    private readonly object _gate = new();
    private readonly List<Consumer> _consumers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private Socket? _query;
    private Socket _service = null!;
    private TcpListener _data = null!;
    private CancellationTokenSource _instance = new();
    private volatile bool _stalled;
    private volatile bool _hung;
    private volatile bool _truncate;
    private int _captureServed;

    private FakeOutlet(FakeOutletSettings settings)
    {
        _settings = settings;
        Uid = settings.Uid ?? Guid.NewGuid().ToString();
    }

    /// <summary>This instance's UID (changes on restart).</summary>
    public string Uid { get; private set; }

    public int DataPort => ((IPEndPoint)_data.LocalEndpoint).Port;

    public int ServicePort => ((IPEndPoint)_service.LocalEndPoint!).Port;

    public FakeOutletSettings Settings => _settings;

    /// <summary>Stream-feed connections served so far.</summary>
    public int FeedConnections { get; private set; }

    /// <summary>Samples dropped from full consumer queues.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <summary>Starts the outlet: binds its ports and answers.</summary>
    public static FakeOutlet Start(FakeOutletSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var outlet = new FakeOutlet(settings);
        if (settings.Capture != null && settings.Uid is null)
        {
            var info = LslStreamInfo.Parse(settings.Capture.ShortInfoXml, "capture");
            outlet.Uid = info.Uid;
        }

        if (settings.QueryPort > 0)
        {
            outlet._query = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            outlet._query.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            outlet._query.Bind(new IPEndPoint(IPAddress.Loopback, settings.QueryPort));
            outlet._tasks.Add(outlet.AnswerUdpAsync(outlet._query, timeData: false, outlet._stop.Token));
        }

        outlet.BindInstance();
        return outlet;
    }

    /// <summary>A fake outlet serving one captured scenario.</summary>
    public static FakeOutlet FromCapture(LslCaptureScenario scenario, int queryPort = 0, int basePort = 0, bool closeAfter = false)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var info = LslStreamInfo.Parse(scenario.ShortInfoXml, "capture");
        return Start(new FakeOutletSettings
        {
            Name = info.Name,
            Type = info.Type,
            ChannelCount = info.ChannelCount,
            Format = info.ChannelFormat,
            NominalSrate = info.NominalSrate,
            SourceId = info.SourceId,
            Capture = scenario,
            CloseAfterCapture = closeAfter,
            QueryPort = queryPort,
            BasePort = basePort,
        });
    }

    /// <summary>The stream as a resolver would report it.</summary>
    public LslStreamInfo Info => LslStreamInfo.Parse(ShortInfo(), "fake outlet", IPAddress.Loopback);

    /// <summary>Stop sending samples (connections stay open and silent: a frozen host).</summary>
    public void Stall() => _stalled = true;

    /// <summary>Send samples again (and answer again after <see cref="Hang"/>).</summary>
    public void Resume()
    {
        _hung = false;
        _stalled = false;
    }

    /// <summary>
    /// A hung host: stops sending samples and answers nothing more (queries, time probes and new
    /// connections get no reply), while the open connections stay open.
    /// </summary>
    public void Hang()
    {
        _stalled = true;
        _hung = true;
    }

    /// <summary>The next sample goes out half-written to every consumer, then their connections close.</summary>
    public void TruncateNextSample() => _truncate = true;

    /// <summary>
    /// Restarts as a new instance: a new UID and new data and service ports (bound before the old
    /// ones are released, so they differ); current consumers are disconnected and the old UID gets 404.
    /// </summary>
    public async Task RestartAsync()
    {
        var oldService = _service;
        var oldData = _data;
        var oldInstance = _instance;
        Uid = Guid.NewGuid().ToString();
        _instance = new CancellationTokenSource();
        BindInstance();
        await oldInstance.CancelAsync();
        oldService.Dispose();
        oldData.Stop();
        lock (_gate)
        {
            foreach (var consumer in _consumers)
            {
                consumer.Queue.Writer.TryComplete();
            }

            _consumers.Clear();
        }
    }

    /// <summary>Pushes a numeric sample; a null stamp is sent as deduced (tag 1).</summary>
    public void Push(double[] values, double? timestamp) => Enqueue(new FakeSample(values, null, timestamp));

    /// <summary>Pushes a string sample (markers).</summary>
    public void PushStrings(string[] values, double? timestamp) => Enqueue(new FakeSample(null, values, timestamp));

    /// <summary>Consumers currently connected to the stream feed.</summary>
    public int Consumers
    {
        get
        {
            lock (_gate)
            {
                return _consumers.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _instance.CancelAsync();
        _query?.Dispose();
        _service.Dispose();
        _data.Stop();
        lock (_gate)
        {
            foreach (var consumer in _consumers)
            {
                consumer.Queue.Writer.TryComplete();
            }
        }

        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Sockets closed under the loops.
        }
    }

    private void Enqueue(FakeSample sample)
    {
        lock (_gate)
        {
            foreach (var consumer in _consumers)
            {
                // DropOldest: like liblsl's consumer queue, the oldest sample goes silently.
                if (consumer.Queue.Reader.Count >= consumer.Capacity)
                {
                    Interlocked.Increment(ref _dropped);
                }

                consumer.Queue.Writer.TryWrite(sample);
            }
        }
    }

    private void BindInstance()
    {
        if (_settings.BasePort > 0)
        {
            (_service, _data) = BindInRange();
        }
        else
        {
            _service = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _service.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _data = new TcpListener(IPAddress.Loopback, 0);
            _data.Start();
        }

        var token = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _instance.Token).Token;
        _tasks.Add(AnswerUdpAsync(_service, timeData: true, token));
        _tasks.Add(AcceptAsync(_data, Uid, token));
    }

    private (Socket Service, TcpListener Data) BindInRange()
    {
        Socket? service = null;
        for (int port = _settings.BasePort; port < _settings.BasePort + _settings.PortRange && service is null; port++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                service = socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }

        for (int port = _settings.BasePort; port < _settings.BasePort + _settings.PortRange; port++)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return (service ?? throw new SocketException((int)SocketError.AddressAlreadyInUse), listener);
            }
            catch (SocketException)
            {
                listener.Stop();
            }
        }

        service?.Dispose();
        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    private string ShortInfo() => InfoXml(full: false);

    private string FullInfo() => InfoXml(full: true);

    private string InfoXml(bool full)
    {
        if (_settings.Capture != null)
        {
            // The captured XML with this instance's ports (the captured outlets had 16572–16583).
            string xml = full ? _settings.Capture.FullInfoReply : _settings.Capture.ShortInfoXml;
            xml = System.Text.RegularExpressions.Regex.Replace(xml, "<v4data_port>[0-9]+</v4data_port>", $"<v4data_port>{DataPort}</v4data_port>");
            return System.Text.RegularExpressions.Regex.Replace(xml, "<v4service_port>[0-9]+</v4service_port>", $"<v4service_port>{ServicePort}</v4service_port>");
        }

        var s = _settings;
        var text = new StringBuilder();
        text.Append("<?xml version=\"1.0\"?>\n<info>\n");
        text.Append(CultureInfo.InvariantCulture, $"\t<name>{s.Name}</name>\n\t<type>{s.Type}</type>\n\t<channel_count>{s.ChannelCount}</channel_count>\n");
        text.Append(CultureInfo.InvariantCulture, $"\t<channel_format>{s.Format.Name()}</channel_format>\n\t<source_id>{s.SourceId}</source_id>\n");
        text.Append(CultureInfo.InvariantCulture, $"\t<nominal_srate>{s.NominalSrate:F13}</nominal_srate>\n\t<version>1.100000000000000</version>\n\t<created_at>{LslClock.Now():F9}</created_at>\n");
        text.Append(CultureInfo.InvariantCulture, $"\t<uid>{Uid}</uid>\n\t<session_id>{s.SessionId}</session_id>\n\t<hostname>fake</hostname>\n\t<v4address></v4address>\n");
        text.Append(CultureInfo.InvariantCulture, $"\t<v4data_port>{DataPort}</v4data_port>\n\t<v4service_port>{ServicePort}</v4service_port>\n");
        text.Append("\t<v6address></v6address>\n\t<v6data_port>0</v6data_port>\n\t<v6service_port>0</v6service_port>\n");
        if (full && s.ChannelLabels.Count == s.ChannelCount)
        {
            text.Append("\t<desc>\n\t\t<channels>\n");
            foreach (var label in s.ChannelLabels)
            {
                text.Append(CultureInfo.InvariantCulture, $"\t\t\t<channel>\n\t\t\t\t<label>{label}</label>\n\t\t\t\t<unit>{s.ChannelUnit}</unit>\n\t\t\t</channel>\n");
            }

            text.Append("\t\t</channels>\n\t</desc>\n");
        }
        else
        {
            text.Append("\t<desc />\n");
        }

        text.Append("</info>\n");
        return text.ToString();
    }

    /// <summary>Evaluates the subset of XPath liblsl's resolvers send: <c>prop='value' and …</c>; an empty query matches.</summary>
    private bool Matches(string query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return true;
        }

        var info = Info;
        foreach (var term in query.Split(" and ", StringSplitOptions.TrimEntries))
        {
            int eq = term.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || term.Length < eq + 3 || term[eq + 1] != '\'' || term[^1] != '\'')
            {
                // Not understood: an outlet stays silent on a malformed query.
                return false;
            }

            string value = term[(eq + 2)..^1];
            string? actual = term[..eq].Trim() switch
            {
                "name" => info.Name,
                "type" => info.Type,
                "source_id" => info.SourceId,
                "session_id" => info.SessionId,
                "hostname" => info.Hostname,
                "uid" => info.Uid,
                "channel_format" => info.ChannelFormat.Name(),
                "channel_count" => info.ChannelCount.ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (actual != value)
            {
                return false;
            }
        }

        return true;
    }

    private async Task AnswerUdpAsync(Socket socket, bool timeData, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (_hung)
            {
                continue;
            }

            double t1 = LslClock.Now() + _settings.ClockOffsetSeconds;
            var lines = Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes).Split("\r\n");
            var from = (IPEndPoint)received.RemoteEndPoint;
            byte[]? reply = null;
            if (lines[0] == "LSL:shortinfo" && lines.Length >= 3 && Matches(lines[1]))
            {
                var returnAddress = lines[2].Split(' ');
                if (returnAddress.Length == 2 && int.TryParse(returnAddress[0], CultureInfo.InvariantCulture, out int port))
                {
                    from = new IPEndPoint(from.Address, port);
                    reply = Encoding.UTF8.GetBytes($"{returnAddress[1]}\r\n{ShortInfo()}");
                }
            }
            else if (timeData && lines[0] == "LSL:timedata" && lines.Length >= 2)
            {
                var probe = lines[1].Split(' ');
                if (probe.Length == 2)
                {
                    double t2 = LslClock.Now() + _settings.ClockOffsetSeconds;
                    reply = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $" {probe[0]} {probe[1]} {t1:G16} {t2:G16}"));
                }
            }

            if (reply != null)
            {
                try
                {
                    await socket.SendToAsync(reply, SocketFlags.None, from, cancellationToken);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The asker is gone.
                }
            }
        }
    }

    private async Task AcceptAsync(TcpListener listener, string uid, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var served = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                served.Add(ServeAsync(client, uid, cancellationToken));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped or restarted.
        }

        try
        {
            await Task.WhenAll(served);
        }
        catch (Exception)
        {
            // Connections broke while stopping.
        }
    }

    private async Task ServeAsync(TcpClient client, string uid, CancellationToken cancellationToken)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        try
        {
            var reader = new LineReader(stream);
            string request = await reader.ReadLineAsync(cancellationToken) ?? string.Empty;
            while (_hung)
            {
                await Task.Delay(10, cancellationToken);
            }

            if (request == "LSL:fullinfo")
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(FullInfo()), cancellationToken);
                return;
            }

            if (request == "LSL:shortinfo")
            {
                string query = await reader.ReadLineAsync(cancellationToken) ?? string.Empty;
                if (Matches(query))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(ShortInfo()), cancellationToken);
                }

                return;
            }

            if (!request.StartsWith("LSL:streamfeed/", StringComparison.Ordinal))
            {
                return;
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 } line)
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    headers[line[..colon].Trim()] = line[(colon + 1)..].Split(';')[0].Trim();
                }
            }

            var parts = request["LSL:streamfeed/".Length..].Split(' ', 2);
            int version = int.Parse(parts[0], CultureInfo.InvariantCulture);
            string requestedUid = parts.Length > 1 ? parts[1].Trim() : string.Empty;
            if (version / 100 > 1)
            {
                await stream.WriteAsync("LSL/110 505 Version not supported"u8.ToArray(), cancellationToken);
                return;
            }

            if (requestedUid.Length > 0 && requestedUid != uid)
            {
                await stream.WriteAsync("LSL/110 404 Not found"u8.ToArray(), cancellationToken);
                return;
            }

            FeedConnections++;
            if (_settings.Capture != null)
            {
                await ServeCaptureAsync(stream, cancellationToken);
                return;
            }

            await ServeFeedAsync(stream, uid, headers, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or FormatException)
        {
            // The consumer went away or sent garbage.
        }
    }

    private async Task ServeCaptureAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var bytes = _settings.Capture!.FeedResponse;
        if (Interlocked.Increment(ref _captureServed) > 1)
        {
            // The captured samples were pushed once: a later consumer gets the handshake and the
            // test patterns (everything before the first data sample), then silence.
            bytes = bytes[..CaptureHandshakeLength(bytes)];
        }

        await stream.WriteAsync(bytes, cancellationToken);
        if (!_settings.CloseAfterCapture)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    private int CaptureHandshakeLength(byte[] bytes)
    {
        int headersEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        var info = Info;
        var decoder = new LslSampleDecoder(info.ChannelFormat, info.ChannelCount, info.NominalSrate, _settings.Capture!.FeedRequest.Contains("Native-Byte-Order: 4321", StringComparison.Ordinal));
        var values = new double[info.ChannelCount];
        var strings = new string[info.ChannelCount];
        int pos = headersEnd;
        for (int i = 0; i < 2; i++)
        {
            pos += decoder.TryDecode(bytes.AsSpan(pos), values, strings, out _, out _);
        }

        return pos;
    }

    private async Task ServeFeedAsync(NetworkStream stream, string uid, Dictionary<string, string> headers, CancellationToken cancellationToken)
    {
        int valueSize = int.Parse(headers.GetValueOrDefault("Value-Size", "0"), CultureInfo.InvariantCulture);
        int buffer = (int)double.Parse(headers.GetValueOrDefault("Max-Buffer-Length", "0"), CultureInfo.InvariantCulture);
        int clientOrder = int.Parse(headers.GetValueOrDefault("Native-Byte-Order", "1234"), CultureInfo.InvariantCulture);
        double clientPerformance = double.Parse(headers.GetValueOrDefault("Endian-Performance", "0"), CultureInfo.InvariantCulture);
        var format = _settings.Format;
        if (format != LslChannelFormat.String && valueSize != format.Width())
        {
            // liblsl silently downgrades to protocol 1.00 (Boost portable archive).
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"LSL/110 200 OK\r\nUID: {uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 100\r\n\r\n"), cancellationToken);
            await stream.WriteAsync(new byte[] { 0x7f, 0x01, 0x09 }, cancellationToken);
            return;
        }

        // The server swaps when the client's order differs and the client says it is slower at it (0).
        bool bigEndian = clientOrder == 4321 && format.Width() > 1 && clientPerformance < 1e6;
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"LSL/110 200 OK\r\nUID: {uid}\r\nByte-Order: {(bigEndian ? 4321 : 1234)}\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n"), cancellationToken);
        foreach (int offset in new[] { 4, 2 })
        {
            var pattern = format == LslChannelFormat.String
                ? new FakeSample(null, LslFeedHandshake.StringTestPattern(_settings.ChannelCount), LslFeedHandshake.TestPatternTimestamp)
                : new FakeSample(LslFeedHandshake.NumericTestPattern(format, _settings.ChannelCount, offset), null, LslFeedHandshake.TestPatternTimestamp);
            await stream.WriteAsync(Serialize(pattern, bigEndian), cancellationToken);
        }

        if (buffer <= 0)
        {
            // liblsl: no buffer, no data; the connection stays open.
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return;
        }

        var consumer = new Consumer(Channel.CreateBounded<FakeSample>(new BoundedChannelOptions(buffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }), buffer);
        lock (_gate)
        {
            _consumers.Add(consumer);
        }

        try
        {
            await foreach (var sample in consumer.Queue.Reader.ReadAllAsync(cancellationToken))
            {
                while (_stalled)
                {
                    await Task.Delay(10, cancellationToken);
                }

                var bytes = Serialize(sample, bigEndian);
                if (_truncate)
                {
                    _truncate = false;
                    await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), cancellationToken);
                    return;
                }

                await stream.WriteAsync(bytes, cancellationToken);
            }
        }
        finally
        {
            lock (_gate)
            {
                _consumers.Remove(consumer);
            }
        }
    }

    private byte[] Serialize(FakeSample sample, bool bigEndian)
    {
        var bytes = new List<byte>();
        if (sample.Timestamp is double ts)
        {
            bytes.Add(2);
            Append(bytes, BitConverter.DoubleToInt64Bits(ts), 8, bigEndian);
        }
        else
        {
            bytes.Add(1);
        }

        if (sample.Strings != null)
        {
            foreach (var value in sample.Strings)
            {
                var text = Encoding.UTF8.GetBytes(value);
                int width = text.Length <= 255 ? 1 : 4;
                bytes.Add((byte)width);
                Append(bytes, text.Length, width, bigEndian);
                bytes.AddRange(text);
            }

            return bytes.ToArray();
        }

        foreach (double value in sample.Values!)
        {
            switch (_settings.Format)
            {
                case LslChannelFormat.Float32:
                    Append(bytes, BitConverter.SingleToInt32Bits((float)value), 4, bigEndian);
                    break;
                case LslChannelFormat.Double64:
                    Append(bytes, BitConverter.DoubleToInt64Bits(value), 8, bigEndian);
                    break;
                case LslChannelFormat.Int8:
                    bytes.Add((byte)(sbyte)value);
                    break;
                case LslChannelFormat.Int16:
                    Append(bytes, (short)value, 2, bigEndian);
                    break;
                case LslChannelFormat.Int32:
                    Append(bytes, (int)value, 4, bigEndian);
                    break;
                case LslChannelFormat.Int64:
                    Append(bytes, (long)value, 8, bigEndian);
                    break;
            }
        }

        return bytes.ToArray();
    }

    private static void Append(List<byte> bytes, long value, int width, bool bigEndian)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        var slice = buffer[..width];
        if (bigEndian)
        {
            slice.Reverse();
        }

        bytes.AddRange(slice.ToArray());
    }

    private sealed record FakeSample(double[]? Values, string[]? Strings, double? Timestamp);

    private sealed record Consumer(Channel<FakeSample> Queue, int Capacity);

    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _one = new byte[1];

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (await stream.ReadAsync(_one, cancellationToken) == 0)
                {
                    return line.Length > 0 ? line.ToString() : null;
                }

                if (_one[0] == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }

                line.Append((char)_one[0]);
            }
        }
    }
}
