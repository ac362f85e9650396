using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Output;

/// <summary>
/// Sends each decision: one UDP datagram to the configured loopback address and, if asked, one
/// JSON line on standard output. Numbers the messages, measures the latency just before the
/// send, counts fail-safes and send errors. A send error (nobody listening, buffer full) is
/// counted and logged once in a while; it never stops the daemon. <see cref="Send"/> has one caller
/// (the control path) and takes no lock; <see cref="SendStop"/> may come from any thread and waits
/// for a datagram being sent, so the stop is always the last.
/// </summary>
internal sealed partial class ControlOutput : IDisposable
{
    private readonly Socket? _socket;
    private readonly SocketAddress? _destination;
    private readonly Stream? _stdout;
    private readonly DaemonMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private const int Idle = 0;
    private const int Sending = 1;
    private const int Stopped = 2;
    private Decision? _last;
    private int _state;
    private long _seq;
    private long _lastErrorLog;

    public ControlOutput(ControlOutputOptions options, DaemonMetrics metrics, ILogger<ControlOutput> logger, Stream? stdout = null)
    {
        _metrics = metrics;
        _logger = logger;
        _writer = new Utf8JsonWriter(_buffer);
        if (!string.IsNullOrWhiteSpace(options.Udp))
        {
            var endpoint = NetworkEndpoint.Parse(options.Udp);
            _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _destination = endpoint.Serialize();
            Destination = endpoint;
        }

        if (options.Stdout)
        {
            _stdout = stdout ?? Console.OpenStandardOutput();
        }
    }

    /// <summary>The UDP destination, or null.</summary>
    public IPEndPoint? Destination { get; }

    /// <summary>Messages sent so far (the last <c>seq</c>).</summary>
    public long Sent => _seq;

    /// <summary>Sends one decision (nothing once <see cref="SendStop"/> has been sent). One caller: the control path.</summary>
    public void Send(Decision decision)
    {
        // No lock on the control path: it claims the writer, or finds the output stopped and sends nothing.
        // Only a stop (another thread, at the very end) ever waits, for the one datagram being sent.
        if (Interlocked.CompareExchange(ref _state, Sending, Idle) != Idle)
        {
            return;
        }

        try
        {
            _last = decision;
            Write(decision);
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
        }
    }

    /// <summary>
    /// Sends the last message: command <c>none</c>, reason <c>stopped</c>, so that a controller
    /// holding the last command it heard holds none. Idempotent; later decisions are not sent.
    /// </summary>
    public void SendStop()
    {
        var spin = default(SpinWait);
        while (true)
        {
            int state = Interlocked.CompareExchange(ref _state, Stopped, Idle);
            if (state == Stopped)
            {
                return;
            }

            if (state == Idle)
            {
                break;
            }

            // A decision is being sent: the stop goes after it.
            spin.SpinOnce();
        }

        var last = _last;
        Write(new Decision(Decision.NoCommand, last?.ClassNames ?? [], ClassProbabilities.Empty, last?.TimeMilliseconds ?? 0, Stopwatch.GetTimestamp(), last?.ModelId ?? string.Empty, FailSafeReason.Stopped, MeasuresLatency: false));
    }

    private void Write(Decision decision)
    {
        long seq = ++_seq;
        double? latency = decision.MeasuresLatency ? Stopwatch.GetElapsedTime(decision.ArrivalTimestamp).TotalMilliseconds : null;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        DecisionMessage.Write(_writer, seq, decision, latency);
        var message = _buffer.WrittenSpan;
        if (_socket != null)
        {
            try
            {
                _socket.SendTo(message, SocketFlags.None, _destination!);
            }
            catch (SocketException e)
            {
                _metrics.SendFailed();
                if (Stopwatch.GetElapsedTime(_lastErrorLog).TotalSeconds >= 10)
                {
                    _lastErrorLog = Stopwatch.GetTimestamp();
                    LogSendFailed(Destination!, e.SocketErrorCode.ToString(), _metrics.SendErrors);
                }
            }
        }

        if (_stdout != null)
        {
            _stdout.Write(message);
            _stdout.WriteByte((byte)'\n');
            _stdout.Flush();
        }

        if (decision.Reason != FailSafeReason.None)
        {
            _metrics.FailSafeDecision(decision.Reason);
        }

        _metrics.DecisionSent(decision.Command != Decision.NoCommand, latency);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _socket?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Decision datagrams to {Destination} cannot be sent ({Error}); {Errors} send errors so far")]
    private partial void LogSendFailed(IPEndPoint destination, string error, long errors);
}
