using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EegDann.Lsl;

/// <summary>One time probe and its reply: local send <c>t0</c>, outlet receive <c>t1</c>, outlet send <c>t2</c>, local receive <c>t3</c>, seconds.</summary>
public readonly record struct LslTimeProbe(double T0, double T1, double T2, double T3)
{
    /// <summary>Round trip without the outlet's processing time: <c>(t3 − t0) − (t2 − t1)</c>.</summary>
    public double RoundTrip => (T3 - T0) - (T2 - T1);

    /// <summary>Outlet clock minus local clock: <c>((t1 − t0) + (t2 − t3)) / 2</c>.</summary>
    public double Offset => ((T1 - T0) + (T2 - T3)) / 2;
}

/// <summary>
/// A clock estimate between this host and an outlet: add <see cref="Correction"/> to an outlet
/// time stamp to get local time (liblsl's <c>time_correction()</c>).
/// </summary>
/// <param name="Correction">Local minus outlet clock, seconds.</param>
/// <param name="RoundTrip">The round trip of the probe it came from, seconds (its uncertainty is at most half of it).</param>
/// <param name="MeasuredAt">Local clock when it was measured, seconds.</param>
/// <param name="Replies">Replies the burst got.</param>
public sealed record LslTimeEstimate(double Correction, double RoundTrip, double MeasuredAt, int Replies);

/// <summary>
/// Time correction over the outlet's UDP service port (never its data port or the query port,
/// which does not answer): bursts of <c>LSL:timedata</c> probes; the reply with the smallest
/// round trip wins (an NTP clock filter), as in liblsl's <c>time_receiver</c>.
/// </summary>
public sealed class LslTimeCorrection : IDisposable
{
    private readonly IPEndPoint _service;
    private readonly LslOptions _options;
    private readonly Func<double> _clock;
    private readonly Socket _socket;
    private LslTimeEstimate? _current;

    /// <summary>Creates a receiver for one outlet.</summary>
    /// <param name="service">The outlet's service port.</param>
    /// <param name="options">Probe count, interval, wait, minimum replies, update interval.</param>
    /// <param name="clock">The local clock, seconds (<see cref="LslClock.Now"/>).</param>
    public LslTimeCorrection(IPEndPoint service, LslOptions options, Func<double>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        _service = service;
        _options = options;
        _clock = clock ?? LslClock.Now;
        _socket = new Socket(service.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.IsLoopback(service.Address) ? service.Address : IPAddress.Any, 0));
    }

    /// <summary>The latest estimate, or null before the first burst succeeded.</summary>
    public LslTimeEstimate? Current => Volatile.Read(ref _current);

    /// <summary>Bursts that got too few replies.</summary>
    public int FailedBursts { get; private set; }

    /// <summary>The probe with the smallest round trip; null when there are fewer than <paramref name="minimum"/>.</summary>
    public static LslTimeProbe? Best(IReadOnlyCollection<LslTimeProbe> probes, int minimum)
    {
        ArgumentNullException.ThrowIfNull(probes);
        return probes.Count < Math.Max(1, minimum) ? null : probes.MinBy(p => p.RoundTrip);
    }

    /// <summary>Parses a reply <c>" &lt;wave&gt; &lt;t0&gt; &lt;t1&gt; &lt;t2&gt;"</c> (leading space, as liblsl sends it).</summary>
    public static bool TryParseReply(string text, out long wave, out double t0, out double t1, out double t2)
    {
        wave = 0;
        t0 = t1 = t2 = 0;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 4
            && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out wave)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out t0)
            && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out t1)
            && double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out t2);
    }

    /// <summary>The probe datagram <c>LSL:timedata\r\n&lt;wave&gt; &lt;t0&gt;\r\n</c> (t0 with 16 significant digits).</summary>
    public static byte[] Probe(long wave, double t0) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"LSL:timedata\r\n{wave} {t0:G16}\r\n"));

    /// <summary>Runs one burst; the new estimate, or null when too few replies came.</summary>
    public async Task<LslTimeEstimate?> MeasureAsync(CancellationToken cancellationToken)
    {
        long wave = Random.Shared.Next(1, int.MaxValue);
        var probes = new List<LslTimeProbe>();
        var interval = TimeSpan.FromMilliseconds(_options.TimeProbeIntervalMilliseconds);
        var listen = TimeSpan.FromMilliseconds((_options.TimeProbeIntervalMilliseconds * _options.TimeProbeCount) + _options.TimeProbeMaxRttMilliseconds);
        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        end.CancelAfter(listen);

        // The burst ends when every probe has its reply, or when the listening time is up.
        var receiving = ReceiveAsync(wave, probes, _options.TimeProbeCount, end, end.Token);
        try
        {
            for (int i = 0; i < _options.TimeProbeCount && !end.IsCancellationRequested; i++)
            {
                try
                {
                    await _socket.SendToAsync(Probe(wave, _clock()), SocketFlags.None, _service, end.Token);
                }
                catch (SocketException)
                {
                    // Counted as a missing reply.
                }

                await Task.Delay(interval, end.Token);
            }
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Listening time is over.
        }

        await receiving;
        cancellationToken.ThrowIfCancellationRequested();
        var best = Best(probes, _options.TimeProbeMinReplies);
        if (best is null)
        {
            FailedBursts++;
            return null;
        }

        var estimate = new LslTimeEstimate(-best.Value.Offset, best.Value.RoundTrip, best.Value.T3, probes.Count);
        Volatile.Write(ref _current, estimate);
        return estimate;
    }

    /// <summary>Measures every <see cref="LslOptions.TimeUpdateSeconds"/> until cancelled (start it beside the inlet; don't block on the first estimate).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await MeasureAsync(cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(_options.TimeUpdateSeconds), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();

    private async Task ReceiveAsync(long wave, List<LslTimeProbe> probes, int expected, CancellationTokenSource end, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                double t3 = _clock();
                string text = Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes);

                // Replies of an earlier burst (a stale wave id) are ignored.
                if (TryParseReply(text, out long replyWave, out double t0, out double t1, out double t2) && replyWave == wave)
                {
                    probes.Add(new LslTimeProbe(t0, t1, t2, t3));
                    if (probes.Count >= expected)
                    {
                        await end.CancelAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The burst is over.
        }
        catch (SocketException)
        {
            // Port unreachable (the outlet is gone): too few replies.
        }
    }
}
