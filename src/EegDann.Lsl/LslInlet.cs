using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EegDann.Lsl;

/// <summary>How an inlet connects.</summary>
/// <param name="MaxBufferSamples">The outlet's queue for this inlet, samples (≥ 1).</param>
/// <param name="ConnectTimeout">Connecting plus the handshake and test patterns.</param>
/// <param name="BigEndian">Ask for big-endian values (tests both byte orders; on little-endian hosts the outlet swaps for us).</param>
/// <param name="SessionId">Our LSL session, sent as information.</param>
public sealed record LslInletSettings(int MaxBufferSamples, TimeSpan ConnectTimeout, bool BigEndian = false, string SessionId = "default");

/// <summary>Samples received together (one socket read's worth, at most the requested count).</summary>
/// <param name="Count">Samples in the chunk.</param>
/// <param name="Values">Numeric streams: sample-major values (<c>Count × channels</c>); empty for strings.</param>
/// <param name="Strings">String streams: sample-major values; null for numeric streams.</param>
/// <param name="Timestamps">Each sample's time stamp, the outlet's clock, seconds (transmitted or deduced).</param>
/// <param name="TimestampKnown">Per sample: false while no transmitted stamp has been seen on this connection (deduced stamps then count from 0).</param>
/// <param name="ReceivedAt"><see cref="Stopwatch.GetTimestamp"/> when the bytes were read.</param>
public sealed record LslChunk(int Count, double[] Values, string[]? Strings, double[] Timestamps, bool[] TimestampKnown, long ReceivedAt);

/// <summary>
/// A stream-feed connection to one outlet (protocol 1.10): connects to its data port, sends the
/// handshake, checks the outlet's answer and the two test-pattern samples, then decodes samples
/// as they arrive. Not thread-safe: one reader.
/// </summary>
public sealed class LslInlet : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _network;
    private readonly LslSampleDecoder _decoder;
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;

    private LslInlet(LslStreamInfo info, TcpClient client, LslFeedResponse response)
    {
        Info = info;
        _client = client;
        _network = client.GetStream();
        Negotiated = response;
        _decoder = new LslSampleDecoder(info.ChannelFormat, info.ChannelCount, info.NominalSrate, response.BigEndian, response.SuppressSubnormals);
    }

    /// <summary>The stream.</summary>
    public LslStreamInfo Info { get; }

    /// <summary>What the outlet agreed to.</summary>
    public LslFeedResponse Negotiated { get; }

    /// <summary>Where the outlet's data port is.</summary>
    public IPEndPoint DataEndpoint => new(Info.Address ?? IPAddress.Loopback, Info.DataPort);

    /// <summary>Connects, negotiates and checks the test patterns.</summary>
    /// <param name="info">The resolved stream (its address, data port and UID).</param>
    /// <param name="settings">Buffer size and timeouts.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <exception cref="LslStreamLostException">The outlet instance is gone (404).</exception>
    /// <exception cref="LslProtocolException">Refused, protocol 1.00, or wrong test patterns (the message says which).</exception>
    /// <exception cref="SocketException">When the data port cannot be reached.</exception>
    /// <exception cref="TimeoutException">When the outlet does not complete the handshake in time.</exception>
    public static async Task<LslInlet> ConnectAsync(LslStreamInfo info, LslInletSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(settings);
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        KeepAlive(client.Client);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        try
        {
            await client.ConnectAsync(info.Address ?? IPAddress.Loopback, info.DataPort, timeout.Token);
            var network = client.GetStream();
            var request = LslFeedHandshake.BuildRequest(new LslFeedRequest(info.Uid, info.ChannelFormat, settings.MaxBufferSamples, settings.BigEndian, Environment.MachineName, settings.SessionId));
            await network.WriteAsync(request, timeout.Token);
            var reader = new HandshakeReader(network);
            string? status = await reader.ReadLineAsync(timeout.Token) ?? throw new LslStreamLostException($"LSL stream {info.Name}: the outlet closed the connection without answering the stream-feed request");
            LslFeedHandshake.CheckStatus(status, info.Name);
            var headers = new List<string>();
            while (true)
            {
                string? line = await reader.ReadLineAsync(timeout.Token) ?? throw new LslStreamLostException($"LSL stream {info.Name}: the connection ended inside the response headers");
                if (line.Length == 0)
                {
                    break;
                }

                headers.Add(line);
            }

            var response = LslFeedHandshake.ParseHeaders(headers, info.Uid, info.Name);
            var inlet = new LslInlet(info, client, response);
            reader.Rest.CopyTo(inlet._buffer);
            inlet._end = reader.Rest.Length;
            await inlet.CheckTestPatternsAsync(timeout.Token);
            return inlet;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new TimeoutException($"LSL stream {info.Name}: no complete stream-feed handshake from {info.Address}:{info.DataPort} within {settings.ConnectTimeout.TotalSeconds:G3} s");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The longest full stream information accepted, bytes (a 1024-channel description with units and locations is well under 1 MB).</summary>
    public const int MaxFullInfoBytes = 16 << 20;

    /// <summary>
    /// Reads an outlet's full stream information (<c>LSL:fullinfo</c>, with channel labels and units)
    /// from its data port: the direct <c>host:port</c> mode, and labels for a resolved stream.
    /// </summary>
    /// <exception cref="LslProtocolException">When the answer is not stream information.</exception>
    public static async Task<LslStreamInfo> ReadFullInfoAsync(IPEndPoint dataEndpoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataEndpoint);
        using var client = new TcpClient(dataEndpoint.AddressFamily) { NoDelay = true };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(dataEndpoint, limit.Token);
            var network = client.GetStream();
            await network.WriteAsync("LSL:fullinfo\r\n"u8.ToArray(), limit.Token);
            using var text = new MemoryStream();

            // No length prefix: the outlet closes the connection after the XML. A peer that never
            // stops sending is cut off at MaxFullInfoBytes, not buffered until the timeout.
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await network.ReadAsync(buffer, limit.Token)) > 0)
            {
                if (text.Length + read > MaxFullInfoBytes)
                {
                    throw new LslProtocolException($"full info from {dataEndpoint}: longer than {MaxFullInfoBytes >> 20} MB (not an LSL outlet?)");
                }

                text.Write(buffer, 0, read);
            }

            var info = LslStreamInfo.Parse(Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length), $"full info from {dataEndpoint}", dataEndpoint.Address);
            return info.DataPort == 0 ? info with { DataPort = dataEndpoint.Port } : info;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no LSL full info from {dataEndpoint} within {timeout.TotalSeconds:G3} s");
        }
    }

    /// <summary>
    /// Waits for samples and returns those that arrived (at most <paramref name="maxSamples"/>), or
    /// null when the outlet closed the connection between samples.
    /// </summary>
    /// <exception cref="LslStreamLostException">When the connection ended inside a sample (a truncated sample) or broke.</exception>
    /// <exception cref="LslProtocolException">When the bytes are not samples.</exception>
    public async ValueTask<LslChunk?> ReadChunkAsync(int maxSamples, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 1);
        int channels = Info.ChannelCount;
        bool text = Info.ChannelFormat == LslChannelFormat.String;
        var values = new List<double>();
        var strings = text ? new List<string>() : null;
        var stamps = new List<double>();
        var known = new List<bool>();
        var one = new double[channels];
        var oneText = text ? new string[channels] : null;
        long receivedAt = Stopwatch.GetTimestamp();
        while (true)
        {
            while (stamps.Count < maxSamples)
            {
                int used = _decoder.TryDecode(_buffer.AsSpan(_start, _end - _start), one, oneText, out double ts, out _);
                if (used == 0)
                {
                    break;
                }

                _start += used;
                stamps.Add(ts);
                known.Add(_decoder.TimestampKnown);
                if (text)
                {
                    strings!.AddRange(oneText!);
                }
                else
                {
                    values.AddRange(one);
                }
            }

            if (stamps.Count > 0)
            {
                return new LslChunk(stamps.Count, values.ToArray(), strings?.ToArray(), stamps.ToArray(), known.ToArray(), receivedAt);
            }

            int read = await FillAsync(cancellationToken);
            receivedAt = Stopwatch.GetTimestamp();
            if (read == 0)
            {
                if (_end > _start)
                {
                    throw new LslStreamLostException($"LSL stream {Info.Name}: the connection ended inside a sample ({_end - _start} bytes of it arrived)");
                }

                return null;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _network.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The data connection's socket (for tests).</summary>
    internal Socket Socket => _client.Client;

    /// <summary>Seconds of silence after which the kernel probes a data connection's peer (<see cref="KeepAlive"/>).</summary>
    internal const int KeepAliveIdleSeconds = 5;

    /// <summary>
    /// TCP keep-alive on a data connection: probes after <see cref="KeepAliveIdleSeconds"/> s of silence, every
    /// second, three of them. A follower keeps a silent connection while its outlet still answers (a marker stream
    /// between cues), so a connection whose peer vanished without closing it (a host that lost power, a NAT or
    /// firewall that forgot it) must end by itself: it breaks within about 8 s instead of after the kernel's
    /// default two hours, and the stream is resolved again.
    /// </summary>
    private static void KeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveIdleSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }

    private async Task CheckTestPatternsAsync(CancellationToken cancellationToken)
    {
        foreach (int offset in new[] { 4, 2 })
        {
            var chunk = await ReadChunkAsync(1, cancellationToken)
                ?? throw new LslStreamLostException($"LSL stream {Info.Name}: the outlet closed the connection before its test-pattern samples");
            bool ok = chunk.Timestamps[0] == LslFeedHandshake.TestPatternTimestamp;
            if (Info.ChannelFormat == LslChannelFormat.String)
            {
                ok &= chunk.Strings!.SequenceEqual(LslFeedHandshake.StringTestPattern(Info.ChannelCount));
            }
            else
            {
                ok &= chunk.Values.SequenceEqual(LslFeedHandshake.NumericTestPattern(Info.ChannelFormat, Info.ChannelCount, offset));
            }

            if (!ok)
            {
                throw new LslProtocolException($"LSL stream {Info.Name}: the received test-pattern samples do not match the specification (byte order or channel format differ from what the outlet announced)");
            }
        }

        // Deduced time stamps count from 0 on each connection, not from the test patterns.
        _decoder.LastTimestamp = 0;
        _decoder.TimestampKnown = false;
    }

    private async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        try
        {
            int read = await _network.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read;
        }
        catch (IOException e)
        {
            throw new LslStreamLostException($"LSL stream {Info.Name}: the connection broke ({e.Message})", e);
        }
    }

    /// <summary>Reads CRLF-terminated lines (the last may end at the end of the connection) and keeps what follows.</summary>
    private sealed class HandshakeReader(Stream stream)
    {
        private const int MaxLine = 4096;
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public ReadOnlySpan<byte> Rest => _buffer.AsSpan(_start, _end - _start);

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    int length = newline - _start;
                    string line = Encoding.ASCII.GetString(_buffer, _start, length).TrimEnd('\r');
                    _start = newline + 1;
                    return line;
                }

                if (_end - _start >= MaxLine)
                {
                    throw new LslProtocolException($"the outlet's answer has a line longer than {MaxLine} bytes (not an LSL outlet?)");
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
                if (read == 0)
                {
                    if (_end == _start)
                    {
                        return null;
                    }

                    // liblsl sends error status lines without CRLF and closes.
                    string last = Encoding.ASCII.GetString(_buffer, _start, _end - _start);
                    _start = _end;
                    return last;
                }

                _end += read;
            }
        }
    }
}
