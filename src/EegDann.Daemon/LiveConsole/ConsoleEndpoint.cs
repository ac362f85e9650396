using System.Collections.Frozen;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The console's HTTP routes on the metrics endpoint: <c>GET /</c> (the page), its script and
/// style, the vendored uPlot files (embedded in this assembly at build time: nothing is fetched
/// from elsewhere), <c>GET /events</c> (Server-Sent Events, one complete frame per update),
/// <c>GET /api/state</c> (the latest frame) and <c>GET /report/NAME</c> (the model's report files).
/// </summary>
internal sealed partial class ConsoleEndpoint
{
    /// <summary>Nothing but this server: scripts, styles, images and the event stream are same-origin (images also data URIs).</summary>
    private const string SecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (string Resource, string Type)> Assets = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["/"] = ("console/index.html", "text/html; charset=utf-8"),
        ["/index.html"] = ("console/index.html", "text/html; charset=utf-8"),
        ["/console.js"] = ("console/console.js", "text/javascript; charset=utf-8"),
        ["/console.css"] = ("console/console.css", "text/css; charset=utf-8"),
        ["/vendor/uPlot.iife.min.js"] = ("console/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
        ["/vendor/uPlot.min.css"] = ("console/vendor/uPlot.min.css", "text/css; charset=utf-8"),
        ["/vendor/uPlot.LICENSE"] = ("console/vendor/uPlot.LICENSE", "text/plain; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, byte[]>> Content = new(LoadAssets);
    private readonly ConsoleOptions _options;
    private readonly ConsoleFeed _feed;
    private readonly ConsoleHub _hub;
    private readonly ILogger _logger;

    public ConsoleEndpoint(IOptions<ConsoleOptions> options, ConsoleFeed feed, ConsoleHub hub, ILogger<ConsoleEndpoint> logger)
    {
        _options = options.Value;
        _feed = feed;
        _hub = hub;
        _logger = logger;
    }

    /// <summary>Whether the console is served.</summary>
    public bool Enabled => _feed.Enabled;

    /// <summary>Whether <c>POST /calibrate</c> is accepted (the page shows its button).</summary>
    public bool AllowControl => _options.AllowControl;

    /// <summary>Serves <paramref name="method"/> <paramref name="target"/> when it is a console route.</summary>
    /// <returns>False when the route is not the console's (the caller answers).</returns>
    public async Task<bool> TryServeAsync(string method, string target, Stream stream, CancellationToken stoppingToken)
    {
        if (!Enabled || method != "GET")
        {
            return false;
        }

        int query = target.IndexOf('?', StringComparison.Ordinal);
        string path = query >= 0 ? target[..query] : target;
        if (Assets.TryGetValue(path, out var asset))
        {
            await RespondAsync(stream, "200 OK", asset.Type, Content.Value[asset.Resource], stoppingToken, cache: path.StartsWith("/vendor/", StringComparison.Ordinal));
            return true;
        }

        switch (path)
        {
            case "/events":
                await StreamEventsAsync(stream, stoppingToken);
                return true;
            case "/api/state":
                await RespondAsync(stream, "200 OK", "application/json; charset=utf-8", _feed.Latest ?? "{}"u8.ToArray(), stoppingToken);
                return true;
        }

        if (path.StartsWith("/report/", StringComparison.Ordinal))
        {
            string name = Uri.UnescapeDataString(path["/report/".Length..]);
            // Only the files the model's summary lists (never a path from the request).
            string? file = _feed.Model?.FilePath(name);
            if (file is null)
            {
                await RespondAsync(stream, "404 Not Found", "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"no report file '{name}' beside the model\n"), stoppingToken);
                return true;
            }

            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file, stoppingToken);
            }
            catch (IOException e)
            {
                await RespondAsync(stream, "404 Not Found", "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"{file}: {e.Message}\n"), stoppingToken);
                return true;
            }

            string type = name.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "text/html; charset=utf-8";
            await RespondAsync(stream, "200 OK", type, bytes, stoppingToken);
            return true;
        }

        return false;
    }

    private async Task StreamEventsAsync(Stream stream, CancellationToken stoppingToken)
    {
        using var client = _hub.Join();
        if (client is null)
        {
            await RespondAsync(stream, "503 Service Unavailable", "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"{_options.MaxClients} consoles are open already ({ConsoleOptions.SectionName}:MaxClients)\n"), stoppingToken);
            return;
        }

        LogJoined(_hub.Clients);
        var stall = TimeSpan.FromSeconds(_options.StalledClientSeconds);
        try
        {
            await WriteAsync(stream, Encoding.ASCII.GetBytes(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\n" +
                $"Content-Security-Policy: {SecurityPolicy}\r\nConnection: close\r\n\r\nretry: 1000\n\n"), stall, stoppingToken);
            if (_feed.Latest is { } first)
            {
                await WriteFrameAsync(stream, first, stall, stoppingToken);
            }

            await foreach (var frame in client.Frames.Reader.ReadAllAsync(stoppingToken))
            {
                await WriteFrameAsync(stream, frame, stall, stoppingToken);
            }
        }
        catch (TimeoutException)
        {
            LogStalled(stall.TotalSeconds, client.Dropped);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The browser went away, or the daemon stops.
        }

        LogLeft(client.Dropped);
    }

    private static async Task WriteFrameAsync(Stream stream, byte[] frame, TimeSpan stall, CancellationToken stoppingToken)
    {
        var message = new byte[frame.Length + 8];
        "data: "u8.CopyTo(message);
        frame.CopyTo(message, 6);
        message[^2] = (byte)'\n';
        message[^1] = (byte)'\n';
        await WriteAsync(stream, message, stall, stoppingToken);
    }

    /// <summary>Writes, giving up (<see cref="TimeoutException"/>) when the browser takes nothing for <paramref name="stall"/>.</summary>
    private static async Task WriteAsync(Stream stream, byte[] bytes, TimeSpan stall, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(stall);
        try
        {
            await stream.WriteAsync(bytes, timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    private static async Task RespondAsync(Stream stream, string status, string type, byte[] body, CancellationToken stoppingToken, bool cache = false)
    {
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nCache-Control: {(cache ? "max-age=86400" : "no-store")}\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: {SecurityPolicy}\r\nConnection: close\r\n\r\n"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await stream.WriteAsync(head, timeout.Token);
        await stream.WriteAsync(body, timeout.Token);
    }

    private static FrozenDictionary<string, byte[]> LoadAssets()
    {
        var assembly = typeof(ConsoleEndpoint).Assembly;
        var content = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in Assets.Values.Select(a => a.Resource).Distinct())
        {
            using var s = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"the console's resource '{resource}' is not embedded in {assembly.GetName().Name} (see src/EegDann.Daemon/EegDann.Daemon.csproj)");
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            content[resource] = copy.ToArray();
        }

        return content.ToFrozenDictionary(StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Console opened ({Clients} open)")]
    private partial void LogJoined(int clients);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console closed ({Dropped} updates dropped for it)")]
    private partial void LogLeft(long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Console disconnected: it accepted nothing for {Seconds} s ({Dropped} updates dropped for it)")]
    private partial void LogStalled(double seconds, long dropped);
}
