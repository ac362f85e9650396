using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace EegDann.Lsl;

/// <summary>What a <see cref="LslStreamFollower"/> reports.</summary>
public abstract record LslFollowerEvent;

/// <summary>Connected to an outlet (first time, or again after a loss).</summary>
/// <param name="Info">The stream, with labels and units from its full info when it gives them.</param>
/// <param name="Labels">Channel labels (the outlet's, else <c>Ch1…ChN</c>).</param>
/// <param name="Units">Channel units as the outlet gives them (empty strings when it does not).</param>
/// <param name="MicrovoltsPerUnit">Per channel, the factor to µV, or null when the unit is not a voltage (values are then passed as they are).</param>
public sealed record LslConnected(LslStreamInfo Info, IReadOnlyList<string> Labels, IReadOnlyList<string> Units, IReadOnlyList<double?> MicrovoltsPerUnit) : LslFollowerEvent;

/// <summary>Samples arrived.</summary>
/// <param name="FirstIndex">The stream index of the first sample: counts samples across connections; lost samples (seen in the time stamps) and reconnects skip indices.</param>
/// <param name="Count">Samples.</param>
/// <param name="Values">Numeric streams: sample-major values scaled to µV where the unit is a voltage; empty for strings.</param>
/// <param name="Strings">String streams: sample-major values.</param>
/// <param name="Timestamps">Outlet-clock time stamps, seconds.</param>
/// <param name="TimeCorrection">The latest clock estimate (add it to a stamp for local time), or null before the first.</param>
/// <param name="ReceivedAt"><see cref="Stopwatch.GetTimestamp"/> at arrival.</param>
public sealed record LslSamples(long FirstIndex, int Count, float[] Values, string[]? Strings, double[] Timestamps, LslTimeEstimate? TimeCorrection, long ReceivedAt) : LslFollowerEvent;

/// <summary>The connection was lost (the follower resolves the stream again).</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record LslDisconnected(string Reason) : LslFollowerEvent;

/// <summary>
/// Follows one LSL stream for as long as it is read: resolves it, reads its full info (labels,
/// units), connects an inlet with a small buffer, keeps a time correction running, and when the
/// connection breaks or ends, or stays silent longer than <see cref="LslOptions.StaleAfterMilliseconds"/>
/// and its outlet no longer answers as the same instance (a silent connection to an outlet that does is
/// kept, as liblsl's watchdog keeps it: nothing it sends later is lost), resolves it again — by <c>source_id</c>, name, type, channel count and format when it has a
/// source id (liblsl's recovery query), so a restarted outlet (new UID, new port) is found again.
/// Samples lost by the outlet's full queue show up as jumps in the time stamps of a regular
/// stream and skip as many stream indices (counted in <see cref="DroppedSamples"/>).
/// </summary>
public sealed class LslStreamFollower
{
    private readonly LslOptions _options;
    private readonly LslStreamSelector _selector;
    private readonly Action<string> _log;
    private long _dropped;
    private long _ageMicroseconds = -1;
    private long _silences;

    /// <summary>Creates a follower.</summary>
    /// <param name="options">Validated LSL settings.</param>
    /// <param name="selector">Which stream.</param>
    /// <param name="log">Receives one line per notable event (resolves, losses, recoveries).</param>
    public LslStreamFollower(LslOptions options, LslStreamSelector selector, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(selector);
        _options = options;
        _selector = selector;
        _log = log ?? (_ => { });
    }

    /// <summary>Samples the outlet dropped (seen as time-stamp jumps) or lost while reconnecting.</summary>
    public long DroppedSamples => Interlocked.Read(ref _dropped);

    /// <summary>
    /// How old the newest sample was when it arrived: local clock minus its corrected time stamp,
    /// seconds (null before the first sample with a known stamp and a time correction).
    /// </summary>
    public double? SampleAgeSeconds
    {
        get
        {
            long age = Interlocked.Read(ref _ageMicroseconds);
            return age < 0 ? null : age / 1e6;
        }
    }

    /// <summary>Reconnections after a loss.</summary>
    public int Reconnections { get; private set; }

    /// <summary>
    /// Times a connection was silent for <see cref="LslOptions.StaleAfterMilliseconds"/> while its outlet still
    /// answered, so it was kept (a marker stream between cues, a stalled outlet).
    /// </summary>
    public long KeptSilences => Interlocked.Read(ref _silences);

    /// <summary>Follows the stream until cancelled.</summary>
    public async IAsyncEnumerable<LslFollowerEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var selector = _selector;
        long next = 0;
        double lastStamp = double.NaN;
        string? lastUid = null;
        long lastArrival = 0;
        bool waitingLogged = false;
        var wave = TimeSpan.FromMilliseconds(_options.ResolveWaveMilliseconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var found = await new LslResolver(_options).ResolveAsync(selector, TimeSpan.FromSeconds(_options.ResolveTimeoutSeconds), 1, cancellationToken);
            if (found.Count == 0)
            {
                if (!waitingLogged)
                {
                    _log($"no LSL stream {selector} answered yet; still looking (scope {_options.ResolveScope}, query port {_options.MulticastPort}, ports {_options.BasePort}–{_options.BasePort + _options.PortRange - 1}, known peers: {(_options.KnownPeers.Count == 0 ? "none" : string.Join(", ", _options.KnownPeers))})");
                    waitingLogged = true;
                }

                continue;
            }

            waitingLogged = false;
            var info = found[0];
            LslInlet inlet;
            try
            {
                info = await WithFullInfoAsync(info, cancellationToken);
                inlet = await LslInlet.ConnectAsync(info, new LslInletSettings(_options.BufferSamples(info.NominalSrate), TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds), SessionId: _options.SessionId), cancellationToken);
            }
            catch (Exception e) when (e is LslStreamLostException or SocketException or TimeoutException or IOException)
            {
                _log($"LSL stream {info}: cannot connect ({e.Message}); resolving again");
                await Task.Delay(wave, cancellationToken);
                continue;
            }

            if (info.SourceId.Length > 0)
            {
                // liblsl's recovery query: the same stream even when a restart changed its UID.
                selector = LslStreamSelector.Parse($"source_id={info.SourceId};name={info.Name}" + (info.Type.Length > 0 ? $";type={info.Type}" : string.Empty));
            }
            else if (lastUid is null)
            {
                _log($"LSL stream {info.Name} has no source_id: after an outlet restart it is found again by {selector} only");
            }

            bool sameOutlet = lastUid == info.Uid;
            if (lastUid != null)
            {
                Reconnections++;
                if (info.IsRegular && lastArrival != 0)
                {
                    // Whatever arrived while we were away is lost: skip the indices it would have had.
                    long missed = (long)Math.Round(Stopwatch.GetElapsedTime(lastArrival).TotalSeconds * info.NominalSrate);
                    next += Math.Max(1, missed);
                    Interlocked.Add(ref _dropped, Math.Max(1, missed));
                }

                if (!sameOutlet)
                {
                    lastStamp = double.NaN;
                }
            }

            lastUid = info.Uid;
            _log($"LSL stream connected: {info}" + (sameOutlet ? " (again)" : string.Empty));
            var (labels, units, factors) = Describe(info);
            yield return new LslConnected(info, labels, units, factors);

            using var time = new LslTimeCorrection(new IPEndPoint(info.Address ?? IPAddress.Loopback, info.ServicePort), _options);
            using var stopTime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timing = time.RunAsync(stopTime.Token);
            string reason;
            await using (inlet)
            {
                try
                {
                    bool silent = false;
                    while (true)
                    {
                        LslChunk? chunk = null;
                        bool stale = false;
                        using (var staleAfter = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                        {
                            staleAfter.CancelAfter(TimeSpan.FromMilliseconds(_options.StaleAfterMilliseconds));
                            try
                            {
                                chunk = await inlet.ReadChunkAsync(4096, staleAfter.Token);
                            }
                            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                            {
                                stale = true;
                            }
                            catch (LslStreamLostException e)
                            {
                                // A connection that broke (reset, timed out by keep-alive, cut inside a sample) is a
                                // loss like one that ended: the stream is resolved again, not given up.
                                reason = e.Message;
                                break;
                            }
                        }

                        if (stale)
                        {
                            // Silence alone is not a loss (liblsl's watchdog): a marker stream is silent between cues, and
                            // an outlet that stalls sends what it queued when it resumes. Dropping the connection would lose
                            // whatever the outlet sends before the new one is made, so it is kept while the same instance
                            // still answers; an outlet that is gone or was replaced (another UID) is resolved again.
                            if (await SameOutletAnswersAsync(info, cancellationToken))
                            {
                                Interlocked.Increment(ref _silences);
                                if (!silent && info.IsRegular)
                                {
                                    _log($"LSL stream {info.Name}: no data for {_options.StaleAfterMilliseconds:F0} ms, but its outlet still answers; the connection is kept");
                                }

                                silent = true;
                                continue;
                            }

                            reason = $"no data for {_options.StaleAfterMilliseconds:F0} ms and the outlet no longer answers as {info.Uid}";
                            break;
                        }

                        silent = false;
                        if (chunk is null)
                        {
                            reason = "the outlet closed the connection";
                            break;
                        }

                        lastArrival = chunk.ReceivedAt;
                        foreach (var part in Split(chunk, info, factors, time.Current, ref next, ref lastStamp))
                        {
                            yield return part;
                        }
                    }
                }
                finally
                {
                    await stopTime.CancelAsync();
                    await timing;
                }
            }

            _log($"LSL stream {info.Name} lost: {reason}; resolving it again");
            yield return new LslDisconnected(reason);
        }
    }

    private IEnumerable<LslSamples> Split(LslChunk chunk, LslStreamInfo info, IReadOnlyList<double?> factors, LslTimeEstimate? correction, ref long next, ref double lastStamp)
    {
        var parts = new List<LslSamples>();
        int channels = info.ChannelCount;
        int start = 0;
        for (int i = 0; i <= chunk.Count; i++)
        {
            long skip = 0;
            if (i < chunk.Count && info.IsRegular && chunk.TimestampKnown[i] && !double.IsNaN(lastStamp))
            {
                double step = (chunk.Timestamps[i] - lastStamp) * info.NominalSrate;
                if (step > 1.5)
                {
                    skip = (long)Math.Round(step) - 1;
                }
            }

            if (i == chunk.Count || (skip > 0 && i > start))
            {
                parts.Add(Part(chunk, start, i - start, channels, factors, correction, next));
                next += i - start;
                start = i;
            }

            if (skip > 0)
            {
                next += skip;
                Interlocked.Add(ref _dropped, skip);
            }

            if (i < chunk.Count && chunk.TimestampKnown[i])
            {
                lastStamp = chunk.Timestamps[i];
            }
        }

        if (correction != null && chunk.Count > 0 && chunk.TimestampKnown[^1])
        {
            double age = LslClock.FromStopwatch(chunk.ReceivedAt) - (chunk.Timestamps[^1] + correction.Correction);
            Interlocked.Exchange(ref _ageMicroseconds, (long)Math.Max(0, age * 1e6));
        }

        return parts.Where(p => p.Count > 0);
    }

    private static LslSamples Part(LslChunk chunk, int start, int count, int channels, IReadOnlyList<double?> factors, LslTimeEstimate? correction, long first)
    {
        var stamps = chunk.Timestamps.AsSpan(start, count).ToArray();
        if (chunk.Strings != null)
        {
            return new LslSamples(first, count, [], chunk.Strings.AsSpan(start * channels, count * channels).ToArray(), stamps, correction, chunk.ReceivedAt);
        }

        var values = new float[count * channels];
        for (int s = 0; s < count; s++)
        {
            for (int c = 0; c < channels; c++)
            {
                values[(s * channels) + c] = (float)(chunk.Values[((start + s) * channels) + c] * (factors[c] ?? 1.0));
            }
        }

        return new LslSamples(first, count, values, null, stamps, correction, chunk.ReceivedAt);
    }

    /// <summary>Whether the outlet instance we are connected to still answers a full-info request on its data port with its UID.</summary>
    private async Task<bool> SameOutletAnswersAsync(LslStreamInfo info, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadFullInfoAsync(info, cancellationToken)).Uid == info.Uid;
        }
        catch (Exception e) when (e is LslProtocolException or SocketException or TimeoutException or IOException)
        {
            return false;
        }
    }

    /// <summary>The full info the outlet of <paramref name="info"/> gives on its data port now.</summary>
    private Task<LslStreamInfo> ReadFullInfoAsync(LslStreamInfo info, CancellationToken cancellationToken) =>
        LslInlet.ReadFullInfoAsync(new IPEndPoint(info.Address ?? IPAddress.Loopback, info.DataPort), TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds), cancellationToken);

    private async Task<LslStreamInfo> WithFullInfoAsync(LslStreamInfo info, CancellationToken cancellationToken)
    {
        try
        {
            var full = await ReadFullInfoAsync(info, cancellationToken);
            return full.Uid == info.Uid ? info with { ChannelLabels = full.ChannelLabels, ChannelUnits = full.ChannelUnits } : info;
        }
        catch (Exception e) when (e is LslProtocolException or SocketException or TimeoutException or IOException)
        {
            _log($"LSL stream {info.Name}: no full info ({e.Message}); channels are named Ch1…Ch{info.ChannelCount}");
            return info;
        }
    }

    /// <summary>Labels, units and µV factors of a stream (labels <c>Ch1…</c> when it gives none).</summary>
    public static (IReadOnlyList<string> Labels, IReadOnlyList<string> Units, IReadOnlyList<double?> Factors) Describe(LslStreamInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var labels = info.ChannelLabels.Count == info.ChannelCount ? info.ChannelLabels : Enumerable.Range(1, info.ChannelCount).Select(i => $"Ch{i}").ToList();
        var units = info.ChannelUnits.Count == info.ChannelCount ? info.ChannelUnits : Enumerable.Repeat(string.Empty, info.ChannelCount).ToList();
        var factors = units.Select(LslUnits.ToMicrovolts).ToList();
        return (labels, units, factors);
    }
}
