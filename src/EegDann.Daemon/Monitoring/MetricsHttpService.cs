using System.Net;
using System.Net.Sockets;
using System.Text;
using EegDann.Daemon.Calibration;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Models;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// A tiny HTTP/1.1 endpoint on loopback (unless allowed otherwise): <c>GET /metrics</c> gives the
/// Prometheus text, <c>GET /health</c> gives 200 while the daemon runs, <c>POST /calibrate</c>
/// asks the online calibrator to calibrate now (only when <c>Daemon:Console:AllowControl</c> is
/// set; else 403), and the live console's routes (<see cref="ConsoleEndpoint"/>: <c>GET /</c>, …).
/// One request per connection.
/// </summary>
internal sealed partial class MetricsHttpService(IOptions<MetricsOptions> options, DaemonMetrics metrics, ActiveModel models, ICalibrationTrigger calibration, ConsoleEndpoint console, ILogger<MetricsHttpService> logger) : BackgroundService
{
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
            LogListening(Endpoint);
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
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                string? requestLine = await reader.ReadLineAsync(timeout.Token);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(timeout.Token)))
                {
                    // Headers are not needed.
                }

                var parts = (requestLine ?? string.Empty).Split(' ');
                string method = parts.Length > 0 ? parts[0] : string.Empty;
                string target = parts.Length > 1 ? parts[1] : string.Empty;
                if (await console.TryServeAsync(method, target, stream, stoppingToken))
                {
                    return;
                }

                var (status, type, body) = (method, target) switch
                {
                    ("GET", "/metrics") => ("200 OK", PrometheusText.ContentType, PrometheusText.Render(metrics, ModelId(), models.Generation)),
                    ("GET", "/health") => ("200 OK", "text/plain; charset=utf-8", "ok\n"),
                    ("POST", "/calibrate") when !console.AllowControl => ("403 Forbidden", "text/plain; charset=utf-8", "calibration from HTTP is off (set Daemon:Console:AllowControl to true)\n"),
                    ("POST", "/calibrate") => calibration.Request("HTTP request")
                        ? ("202 Accepted", "text/plain; charset=utf-8", "calibration requested\n")
                        : ("409 Conflict", "text/plain; charset=utf-8", "the calibrator is off or already calibrating\n"),
                    _ => ("404 Not Found", "text/plain; charset=utf-8", "GET /metrics, GET /health, POST /calibrate, GET / (the console)\n"),
                };
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(bytes, timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A client that goes away is its own problem.
            }
        }
    }

    private string? ModelId()
    {
        try
        {
            return models.Current.Id;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics at http://{Endpoint}/metrics, the console at http://{Endpoint}/")]
    private partial void LogListening(IPEndPoint endpoint);
}
