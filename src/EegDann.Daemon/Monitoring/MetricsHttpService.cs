using System.Net;
using System.Net.Sockets;
using System.Text;
using EegDann.Daemon.Calibration;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// A tiny HTTP/1.1 endpoint on loopback (unless allowed otherwise): <c>GET /metrics</c> gives the
/// Prometheus text (the meter's instruments, rendered by prometheus-net: <see cref="PrometheusExport"/>), <c>GET /health</c> gives 200 while the daemon runs, <c>GET /healthz</c> 200 only
/// when it is ready (<see cref="ReadinessChecks"/>: a model loaded, samples flowing, no stage dead), <c>POST /calibrate</c>
/// asks the online calibrator to calibrate now (only when <c>Daemon:Console:AllowControl</c> is
/// set; else 403), and the live console's routes (<see cref="ConsoleEndpoint"/>: <c>GET /</c>, …).
/// One request per connection.
/// </summary>
/// <remarks>
/// <c>/health</c> answers 200 <c>ok</c>, 200 <c>degraded: …</c> (decoding goes on, a part such as
/// the recorder failed) or 503 <c>unhealthy: …</c> (acquisition dead, a stage faulted). A request
/// (line and headers) longer than <see cref="MaxRequestBytes"/> gets 431 and the connection is
/// closed without reading further; one not complete within
/// <see cref="MetricsOptions.RequestTimeoutSeconds"/> gets 408; at most
/// <see cref="MaxConnections"/> are served at once (others are closed at once). These bounds are why
/// the daemon keeps this listener rather than prometheus-net's <c>MetricServer</c>, an
/// <c>HttpListener</c>: its managed implementation (dotnet/runtime, System/Net/Managed/HttpConnection.cs)
/// buffers up to 32 kB of request head, stops its 90 s timer at the first bytes read (a client
/// trickling bytes is never cut off) and serves any number of connections; and this one port also
/// serves the console, health and calibration.
/// </remarks>
internal sealed partial class MetricsHttpService(IOptions<MetricsOptions> options, PrometheusExport export, DaemonHealth health, ICalibrationTrigger calibration, ConsoleEndpoint console, HealthCheckService readiness, ILogger<MetricsHttpService> logger) : BackgroundService
{
    /// <summary>The longest request (line and headers) read, bytes.</summary>
    public const int MaxRequestBytes = 8192;

    /// <summary>The most connections served at once.</summary>
    public const int MaxConnections = 16;

    private readonly SemaphoreSlim _connections = new(MaxConnections, MaxConnections);
    private TcpListener? _listener;

    /// <summary>The bound endpoint (after start), or null when off.</summary>
    public IPEndPoint? Endpoint { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.Prometheus))
        {
            _listener = new TcpListener(NetworkEndpoint.Parse(options.Value.Prometheus, allowPortZero: true));
            _listener.Start();
            Endpoint = (IPEndPoint)_listener.LocalEndpoint;
            export.Start();
            LogListening(Endpoint);
            if (!IPAddress.IsLoopback(Endpoint.Address))
            {
                LogNonLoopback(Endpoint);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is null)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(stoppingToken);
                if (!_connections.Wait(0, CancellationToken.None))
                {
                    client.Dispose();
                    continue;
                }

                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            _listener.Stop();
            _listener.Dispose();
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds));
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream, timeout.Token);
                if (request.Outcome == RequestOutcome.Read && await console.TryServeAsync(request.Method, request.Target, stream, stoppingToken))
                {
                    return;
                }

                var (status, type, body) = request switch
                {
                    { Outcome: RequestOutcome.Read, Method: "GET", Target: "/healthz" } => await ReadinessAsync(timeout.Token),
                    { Outcome: RequestOutcome.Read, Method: "GET", Target: "/metrics" } => await MetricsAsync(timeout.Token),
                    _ => Respond(request),
                };
                if (status.Length == 0)
                {
                    return;
                }

                // The answer gets its own short budget (a timed-out request still hears 408).
                using var answerTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                answerTimeout.CancelAfter(TimeSpan.FromSeconds(options.Value.RequestTimeoutSeconds));
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, answerTimeout.Token);
                await stream.WriteAsync(bytes, answerTimeout.Token);
                client.Client.Shutdown(SocketShutdown.Send);

                // Discard what the client still sends for a moment, so that closing does not reset
                // the connection before it has read the answer (a fixed buffer: nothing is kept).
                using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                var sink = new byte[4096];
                while (await stream.ReadAsync(sink, linger.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that goes away is its own problem.
            }
            finally
            {
                _connections.Release();
            }
        }
    }

    private (string Status, string Type, string Body) Respond(RequestRead request) => request.Outcome switch
    {
        RequestOutcome.TooLarge => ("431 Request Header Fields Too Large", "text/plain; charset=utf-8", $"requests are limited to {MaxRequestBytes} bytes\n"),
        RequestOutcome.TimedOut => ("408 Request Timeout", "text/plain; charset=utf-8", "the request took too long\n"),
        RequestOutcome.Closed => (string.Empty, string.Empty, string.Empty),
        _ => Answer(request.Method, request.Target),
    };

    private (string Status, string Type, string Body) Answer(string method, string target)
    {
        const string Text = "text/plain; charset=utf-8";
        switch (method, target)
        {
            case ("GET", "/health"):
                var report = health.Check();
                return report.Status switch
                {
                    HealthStatus.Ok => ("200 OK", Text, "ok\n"),
                    HealthStatus.Degraded => ("200 OK", Text, $"degraded: {report.Detail}\n"),
                    _ => ("503 Service Unavailable", Text, $"unhealthy: {report.Detail}\n"),
                };
            case ("POST", "/calibrate") when !console.AllowControl:
                return ("403 Forbidden", Text, "calibration from HTTP is off (set Daemon:Console:AllowControl to true)\n");
            case ("POST", "/calibrate"):
                return calibration.Request("HTTP request")
                    ? ("202 Accepted", Text, "calibration requested\n")
                    : ("409 Conflict", Text, "the calibrator is off or already calibrating\n");
            default:
                return ("404 Not Found", Text, "GET /metrics, GET /health, GET /healthz, POST /calibrate, GET / (the console)\n");
        }
    }

    /// <summary><c>/metrics</c>: every instrument of the daemon's meter, in prometheus-net's text format.</summary>
    private async Task<(string Status, string Type, string Body)> MetricsAsync(CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        await export.WriteAsync(text, cancellationToken);
        return ("200 OK", PrometheusExport.ContentType, Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length));
    }

    /// <summary><c>/healthz</c>: 200 <c>ready</c> (or <c>ready, degraded: …</c>) when every readiness check passes, else 503 <c>not ready: …</c> naming the failed checks.</summary>
    private async Task<(string Status, string Type, string Body)> ReadinessAsync(CancellationToken cancellationToken)
    {
        const string Text = "text/plain; charset=utf-8";
        var report = await readiness.CheckHealthAsync(cancellationToken);
        string Entries(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus status) =>
            string.Join("; ", report.Entries.Where(e => e.Value.Status == status).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value.Description}"));
        return report.Status switch
        {
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy => ("200 OK", Text, "ready\n"),
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded => ("200 OK", Text, $"ready, degraded: {Entries(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded)}\n"),
            _ => ("503 Service Unavailable", Text, $"not ready: {Entries(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy)}\n"),
        };
    }

    /// <summary>Reads the request line and headers, at most <see cref="MaxRequestBytes"/>; returns the method and target.</summary>
    private static async Task<RequestRead> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    return RequestRead.TooLarge;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return RequestRead.Closed;
                }

                int scanFrom = Math.Max(0, length - 3);
                length += read;
                var span = buffer.AsSpan(0, length);
                if (span[scanFrom..].IndexOf("\r\n\r\n"u8) >= 0 || span[scanFrom..].IndexOf("\n\n"u8) >= 0)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return RequestRead.TimedOut;
        }

        var all = buffer.AsSpan(0, length);
        int end = all.IndexOf((byte)'\n');
        var line = Encoding.ASCII.GetString(all[..end]).TrimEnd('\r');
        var parts = line.Split(' ');
        return new RequestRead(RequestOutcome.Read, parts.Length > 0 ? parts[0] : string.Empty, parts.Length > 1 ? parts[1] : string.Empty);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics at http://{Endpoint}/metrics, the console at http://{Endpoint}/")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics endpoint bound to {Endpoint}, which is not a loopback address (Daemon:Metrics:AllowNonLoopback): any host that can reach it can read the metrics and POST /calibrate")]
    private partial void LogNonLoopback(IPEndPoint endpoint);

    private enum RequestOutcome
    {
        Read,
        TooLarge,
        TimedOut,
        Closed,
    }

    /// <summary>A request's method and target, or why there is none.</summary>
    private sealed record RequestRead(RequestOutcome Outcome, string Method = "", string Target = "")
    {
        public static readonly RequestRead TooLarge = new(RequestOutcome.TooLarge);
        public static readonly RequestRead TimedOut = new(RequestOutcome.TimedOut);
        public static readonly RequestRead Closed = new(RequestOutcome.Closed);
    }
}
