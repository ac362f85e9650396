using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using EegDann.Core;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// Listens for one amplifier bridge at a time on a TCP endpoint (loopback unless allowed
/// otherwise) and turns its header and frames (<see cref="TcpFrameProtocol"/>) into stream
/// events. A new connection replaces the current one; a broken connection or a protocol error is
/// a <see cref="StreamStopped"/>, never an exception: the listener keeps accepting.
/// </summary>
public sealed partial class TcpSource : ISampleSource, IAsyncDisposable
{
    private readonly TcpSourceOptions _options;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;

    /// <summary>Binds the listener (so a port of 0 is resolved before the daemon reports it).</summary>
    /// <exception cref="SocketException">When the endpoint cannot be bound.</exception>
    public TcpSource(TcpSourceOptions options, ILogger<TcpSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
        _listener = new TcpListener(NetworkEndpoint.Parse(options.Listen, allowPortZero: true));
        _listener.Start();
        LocalEndpoint = (IPEndPoint)_listener.LocalEndpoint;
    }

    /// <summary>The endpoint the listener is bound to.</summary>
    public IPEndPoint LocalEndpoint { get; }

    /// <inheritdoc />
    public string Name => $"tcp {LocalEndpoint}";

    /// <inheritdoc />
    public SourcePacing Pacing => SourcePacing.Live;

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Connections are read by one task at a time; their events meet here. The channel is
        // bounded: when the daemon is behind, the reader stops reading and TCP pushes back.
        var events = Channel.CreateBounded<SourceEvent>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = false });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var accepting = AcceptLoopAsync(events.Writer, stop.Token);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await accepting;
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(ChannelWriter<SourceEvent> events, CancellationToken cancellationToken)
    {
        Task? current = null;
        CancellationTokenSource? currentStop = null;
        LogListening(LocalEndpoint);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                if (current != null)
                {
                    LogReplacing(client.Client.RemoteEndPoint?.ToString() ?? "?");
                    await currentStop!.CancelAsync();
                    await current;
                    currentStop.Dispose();
                }

                currentStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                current = ServeAsync(client, events, currentStop.Token);
            }
        }
        finally
        {
            if (current != null)
            {
                await currentStop!.CancelAsync();
                await current;
                currentStop.Dispose();
            }
        }
    }

    private async Task ServeAsync(TcpClient client, ChannelWriter<SourceEvent> events, CancellationToken cancellationToken)
    {
        await Task.Yield();
        string peer = client.Client.RemoteEndPoint?.ToString() ?? "unknown peer";
        bool started = false;
        string reason = "the client closed the connection";
        using (client)
        {
            client.NoDelay = true;
            var stream = new BufferedStream(client.GetStream(), 1 << 16);
            try
            {
                StreamDescription description;
                using (var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    headerTimeout.CancelAfter(TimeSpan.FromSeconds(_options.HeaderTimeoutSeconds));
                    var line = await ReadLineAsync(stream, headerTimeout.Token);
                    description = TcpFrameProtocol.ParseHeader(line, peer);
                }

                LogConnected(peer, description.Info.SampleRateHz, description.Info.ChannelCount);
                await events.WriteAsync(new StreamStarted(description), cancellationToken);
                started = true;
                int channels = description.Info.ChannelCount;
                var header = new byte[TcpFrameProtocol.FrameHeaderBytes];
                var payload = new byte[_options.MaxFrameSamples * channels * sizeof(float)];
                while (true)
                {
                    if (!await TryReadExactlyAsync(stream, header, cancellationToken))
                    {
                        break;
                    }

                    var (n, first) = TcpFrameProtocol.ParseFrameHeader(header, _options.MaxFrameSamples);
                    int bytes = n * channels * sizeof(float);
                    await stream.ReadExactlyAsync(payload.AsMemory(0, bytes), cancellationToken);
                    long arrival = Stopwatch.GetTimestamp();
                    if (n == 0)
                    {
                        continue;
                    }

                    var values = new float[n * channels];
                    TcpFrameProtocol.ReadSamples(payload.AsSpan(0, bytes), values);
                    await events.WriteAsync(new ChunkArrived(new SampleChunk(first, channels, n, values), arrival), cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                reason = "the connection was closed by the daemon";
            }
            catch (OperationCanceledException)
            {
                reason = $"no header line within {_options.HeaderTimeoutSeconds:G3} s";
                LogProtocolError(peer, reason);
                await TrySendErrorAsync(stream, reason);
            }
            catch (FormatException e)
            {
                reason = "protocol error: " + e.Message;
                LogProtocolError(peer, e.Message);
                await TrySendErrorAsync(stream, e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
            {
                reason = "the connection broke: " + e.Message;
            }
        }

        LogDisconnected(peer, reason);
        if (started)
        {
            // A replaced or stopping connection only tries (the reader may be gone); a new
            // StreamStarted also ends the previous stream for the stages.
            var stopped = new StreamStopped(reason);
            if (cancellationToken.IsCancellationRequested)
            {
                events.TryWrite(stopped);
            }
            else
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    await events.WriteAsync(stopped, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // The daemon stopped reading (it is shutting down).
                }
            }
        }
    }

    private static async Task<byte[]> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        var one = new byte[1];
        while (true)
        {
            int read = await stream.ReadAsync(one, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the client closed the connection before its header line ended");
            }

            if (one[0] == (byte)'\n')
            {
                var bytes = line.ToArray();
                return bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes[..^1] : bytes;
            }

            if (line.Length >= TcpFrameProtocol.MaxHeaderBytes)
            {
                throw new FormatException($"the header line is longer than {TcpFrameProtocol.MaxHeaderBytes} bytes (is the client sending frames without a header?)");
            }

            line.WriteByte(one[0]);
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>; false on a clean end of stream before its first byte.</summary>
    private static async Task<bool> TryReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return false;
        }

        if (read < buffer.Length)
        {
            throw new EndOfStreamException($"the connection ended inside a frame header ({read} of {buffer.Length} bytes)");
        }

        return true;
    }

    private static async Task TrySendErrorAsync(Stream stream, string message)
    {
        try
        {
            var line = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }) + "\n");
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await stream.WriteAsync(line, timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone: nothing to tell it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP source listening on {Endpoint}")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP client {Peer} connected: {SampleRateHz} Hz, {Channels} channels")]
    private partial void LogConnected(string peer, double sampleRateHz, int channels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP client {Peer}: a new connection replaces the current one")]
    private partial void LogReplacing(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP client {Peer}: {Problem}; closing the connection")]
    private partial void LogProtocolError(string peer, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP client {Peer} disconnected: {Reason}")]
    private partial void LogDisconnected(string peer, string reason);
}
