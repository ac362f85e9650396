// Why one file over 400 lines: the TCP source is one listener and its connection policy (one client
// at a time, refusal or replacement of an idle one) around one read loop per connection, sharing the
// current connection's state; the wire format lives apart (TcpFrameProtocol). About 30 lines are
// its log message declarations.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using EegDann.Core;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// Listens for one amplifier bridge at a time on a TCP endpoint (loopback unless allowed
/// otherwise) and turns its header and frames (<see cref="TcpFrameProtocol"/>) into stream
/// events. While a client streams, another connection is refused with an error line, unless the
/// current one has been silent for <see cref="TcpSourceOptions.ReplaceIdleSeconds"/> or
/// <see cref="TcpSourceOptions.NewClientReplacesCurrent"/> is set. Whatever a client sends (a bad
/// header, bad frames, random bytes) ends that connection only — a <see cref="StreamStopped"/>,
/// never an exception — and the listener keeps accepting. If the listener itself fails, the
/// source ends with that exception (the daemon then stops with a fault rather than listen to nothing).
/// </summary>
public sealed partial class TcpSource : ISampleSource, IAsyncDisposable
{
    private readonly TcpSourceOptions _options;
    private readonly DaemonMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;

    /// <summary>Binds the listener (so a port of 0 is resolved before the daemon reports it).</summary>
    /// <exception cref="SocketException">When the endpoint cannot be bound.</exception>
    public TcpSource(TcpSourceOptions options, DaemonMetrics metrics, ILogger<TcpSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _listener = new TcpListener(NetworkEndpoint.Parse(options.Listen, allowPortZero: true));
        _listener.Start();
        LocalEndpoint = (IPEndPoint)_listener.LocalEndpoint;
        if (!IPAddress.IsLoopback(LocalEndpoint.Address))
        {
            LogNonLoopback(LocalEndpoint);
        }
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
        var accepting = AcceptLoopAsync(events.Writer, stop.Token).ContinueWith(
            t =>
            {
                // The accept loop only ends when stopping; any other end is a dead listener: the
                // reader learns it and the source ends with the exception.
                if (!stop.IsCancellationRequested)
                {
                    events.Writer.TryComplete(t.Exception?.GetBaseException() ?? new IOException($"the TCP listener on {LocalEndpoint} stopped accepting connections"));
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
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
            await accepting;
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
        Connection? connection = null;
        CancellationTokenSource? currentStop = null;
        LogListening(LocalEndpoint);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                string peer = client.Client.RemoteEndPoint?.ToString() ?? "unknown peer";
                if (current != null && !connection!.Closed && !connection.HeaderRead.Task.IsCompleted)
                {
                    // A connection still in its header is not a stream yet: the newcomer waits
                    // until it becomes one or ends (at most the header timeout), then the rule below.
                    await connection.HeaderRead.Task.WaitAsync(cancellationToken);
                }

                if (current != null && !connection!.Closed)
                {
                    double idle = Stopwatch.GetElapsedTime(connection.LastActivity).TotalSeconds;
                    if (!_options.NewClientReplacesCurrent && idle < _options.ReplaceIdleSeconds)
                    {
                        _metrics.TcpClientRefused();
                        LogRefused(peer, connection.Peer, idle);
                        _ = RefuseAsync(client, $"another client is streaming ({connection.Peer}); one client at a time");
                        continue;
                    }

                    LogReplacing(peer, connection.Peer, idle);
                    await currentStop!.CancelAsync();
                }

                if (current != null)
                {
                    await current;
                    currentStop!.Dispose();
                }

                currentStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connection = new Connection(peer);
                current = ServeAsync(client, connection, events, currentStop.Token);
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

    private static async Task RefuseAsync(TcpClient client, string reason)
    {
        using (client)
        {
            await TrySendErrorAsync(client, reason);
        }
    }

    private async Task ServeAsync(TcpClient client, Connection connection, ChannelWriter<SourceEvent> events, CancellationToken cancellationToken)
    {
        await Task.Yield();
        string peer = connection.Peer;
        bool started = false;
        string reason = "the client closed the connection";
        using (client)
        {
            try
            {
                client.NoDelay = true;

                // Reads only: an error line goes to the socket itself (a buffered stream holding
                // unread bytes cannot be written to).
                var stream = new BufferedStream(client.GetStream(), 1 << 16);
                StreamDescription description;
                using (var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    headerTimeout.CancelAfter(TimeSpan.FromSeconds(_options.HeaderTimeoutSeconds));
                    var line = await ReadLineAsync(stream, headerTimeout.Token);
                    description = TcpFrameProtocol.ParseHeader(line, peer);
                }

                connection.LastActivity = Stopwatch.GetTimestamp();
                connection.HeaderRead.TrySetResult();

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
                    connection.LastActivity = arrival;
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
                await RefuseClientAsync(client, peer, reason);
            }
            catch (FormatException e)
            {
                reason = "protocol error: " + e.Message;
                await RefuseClientAsync(client, peer, e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
            {
                reason = "the connection broke: " + e.Message;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Anything else a client provokes (a parser's unexpected exception) is still that
                // client's problem: it must never reach the accept loop.
                reason = "the client's data could not be read: " + e.Message;
                LogClientFault(e, peer);
                await RefuseClientAsync(client, peer, "the header or a frame could not be read");
            }
            finally
            {
                connection.Closed = true;
                connection.HeaderRead.TrySetResult();
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
                catch (ChannelClosedException)
                {
                    // The source has ended.
                }
            }
        }
    }

    private async Task RefuseClientAsync(TcpClient client, string peer, string problem)
    {
        _metrics.TcpClientRefused();
        LogProtocolError(peer, problem);
        await TrySendErrorAsync(client, problem);
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

    /// <summary>Tells the client why its connection ends (one JSON line), without waiting for a client that does not read.</summary>
    private static async Task TrySendErrorAsync(TcpClient client, string message)
    {
        try
        {
            var line = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }) + "\n");
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var socket = client.GetStream();
            await socket.WriteAsync(line, timeout.Token);
            await socket.FlushAsync(timeout.Token);

            // Close gracefully (FIN, not RST) so the answer arrives although the client's unread bytes are discarded.
            client.Client.Shutdown(SocketShutdown.Send);
            var drain = new byte[4096];
            using var lingering = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            while (await socket.ReadAsync(drain, lingering.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone or does not read: nothing more to tell it.
        }
    }

    /// <summary>One client connection, as the accept loop sees it.</summary>
    private sealed class Connection(string peer)
    {
        private long _lastActivity = Stopwatch.GetTimestamp();
        private volatile bool _closed;

        public string Peer { get; } = peer;

        /// <summary>Completes once its header was read and accepted, or the connection ended.</summary>
        public TaskCompletionSource HeaderRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When its last frame arrived (or it connected).</summary>
        public long LastActivity
        {
            get => Volatile.Read(ref _lastActivity);
            set => Volatile.Write(ref _lastActivity, value);
        }

        /// <summary>Whether the connection has ended (its stream-stopped event may still be on its way).</summary>
        public bool Closed
        {
            get => _closed;
            set => _closed = value;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP source bound to {Endpoint}, which is not a loopback address (Daemon:Tcp:AllowNonLoopback): any host that can reach it can stream EEG into the decoder")]
    private partial void LogNonLoopback(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP source listening on {Endpoint}")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP client {Peer} connected: {SampleRateHz} Hz, {Channels} channels")]
    private partial void LogConnected(string peer, double sampleRateHz, int channels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP client {Peer} replaces {Current} (silent for {IdleSeconds:F1} s)")]
    private partial void LogReplacing(string peer, string current, double idleSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP client {Peer} refused: {Current} is streaming (last frame {IdleSeconds:F1} s ago)")]
    private partial void LogRefused(string peer, string current, double idleSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "TCP client {Peer}: its data could not be read; closing the connection")]
    private partial void LogClientFault(Exception exception, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TCP client {Peer}: {Problem}; closing the connection")]
    private partial void LogProtocolError(string peer, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "TCP client {Peer} disconnected: {Reason}")]
    private partial void LogDisconnected(string peer, string reason);
}
