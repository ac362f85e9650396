// Why one file over 400 lines: the live console's worker is the single-threaded owner of the page's
// state (stream, channel states, traces, decision history) and writes each frame from that state in
// the same pass; about half the file is the frame's JSON writers, which read the private state a
// split would have to expose. The parts that stand alone already live apart (ChannelQuality,
// SignalView, HeadLayout, ConsoleHub, ConsoleTap).
using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Calibration;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Dsp.Filters;
using EegDann.Pipelines.Steps;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The console's own worker: a few times a second it takes what the <see cref="ConsoleTap"/>
/// collected (source events, decisions), updates the channel states, the filtered traces and
/// the decision history, and publishes one frame — the page's whole state as JSON — to the
/// <see cref="ConsoleHub"/>. Nothing here runs on the control path, and the control path never
/// waits for it.
/// </summary>
/// <remarks>
/// Every frame is complete (not a difference to the previous one), so a browser that misses
/// frames — its queue is lossy — only misses time, never consistency.
/// </remarks>
internal sealed class ConsoleFeed : BackgroundService
{
    /// <summary>Seconds of decisions kept for the probability chart.</summary>
    public const double DecisionSeconds = 30.0;

    private const int CommandEvents = 40;
    private static readonly double[] LatencyBinsMs = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, double.PositiveInfinity];
    private readonly ConsoleOptions _options;
    private readonly ConsoleTap _tap;
    private readonly ConsoleHub _hub;
    private readonly ActiveModel _models;
    private readonly DaemonMetrics _metrics;
    private readonly CalibratorService _calibrator;
    private readonly DecoderOptions _decoder;
    private readonly FailSafeOptions _failSafe;
    private readonly Queue<(long Timestamp, long[] Latency, long Windows)> _history = new();
    private readonly LinkedList<DecisionPoint> _decisions = new();
    private readonly LinkedList<CommandEvent> _commands = new();
    private StreamDescription? _stream;
    private bool _connected;
    private long _lastChunkTimestamp;
    private ChannelQuality? _quality;
    private SignalView? _signal;
    private long _signalModelGeneration = -1;
    private ModelSummary? _model;
    private long _modelGeneration = -1;
    private DecisionPoint? _last;
    private long _sequence;
    private long _streamVersion;
    private byte[]? _latest;

    public ConsoleFeed(IOptions<ConsoleOptions> options, IOptions<MetricsOptions> metricsOptions, ConsoleTap tap, ConsoleHub hub, ActiveModel models, DaemonMetrics metrics, CalibratorService calibrator, IOptions<DecoderOptions> decoder, IOptions<FailSafeOptions> failSafe)
    {
        _options = options.Value;
        _tap = tap;
        _hub = hub;
        _models = models;
        _metrics = metrics;
        _calibrator = calibrator;
        _decoder = decoder.Value;
        _failSafe = failSafe.Value;
        Enabled = _options.Enabled && !string.IsNullOrWhiteSpace(metricsOptions.Value.Prometheus);
        _tap.Active = Enabled;
    }

    /// <summary>Whether the console is served (on, and the metrics endpoint is on).</summary>
    public bool Enabled { get; }

    /// <summary>Whether the page may start a calibration.</summary>
    public bool AllowControl => _options.AllowControl;

    /// <summary>Frames built so far.</summary>
    public long Frames => Interlocked.Read(ref _sequence);

    /// <summary>The latest frame's JSON (UTF-8), or null before the first.</summary>
    public byte[]? Latest => Volatile.Read(ref _latest);

    /// <summary>The summary of the model in use (for the report files), or null.</summary>
    public ModelSummary? Model => Volatile.Read(ref _model);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / _options.UpdatesPerSecond));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Tick();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Takes what the tap holds and publishes one frame (the worker's step; tests call it directly).</summary>
    internal void Tick()
    {
        UpdateModel();
        long version = _tap.StreamVersion;
        if (version != _streamVersion && _tap.StreamEvent is { } streamEvent)
        {
            // Stream starts and stops bypass the lossy queue: a burst of chunks cannot push them out.
            _streamVersion = version;
            OnEvent(streamEvent);
        }

        while (_tap.Events.Reader.TryRead(out var e))
        {
            OnEvent(e);
        }

        while (_tap.Decisions.Reader.TryRead(out var d))
        {
            OnDecision(d);
        }

        if (_connected && _stream != null && Stopwatch.GetElapsedTime(_lastChunkTimestamp).TotalSeconds > 2.0)
        {
            // Silent for two seconds: the decoder reports stale; the electrodes cannot be judged.
            _quality?.Disconnect();
        }

        long now = Stopwatch.GetTimestamp();
        _history.Enqueue((now, _metrics.Latency.Snapshot(), _metrics.Windows));
        while (_history.Count > 2 && Stopwatch.GetElapsedTime(_history.Peek().Timestamp, now).TotalSeconds > 10.0)
        {
            _history.Dequeue();
        }

        var frame = Build();
        Volatile.Write(ref _latest, frame);
        _hub.Publish(frame);
    }

    private void UpdateModel()
    {
        long generation = _models.Generation;
        if (generation == _modelGeneration)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _model, ModelSummary.Of(_models.Current));
            _modelGeneration = generation;
        }
        catch (InvalidOperationException)
        {
            // No model yet.
        }
    }

    private void OnEvent(SourceEvent e)
    {
        switch (e)
        {
            case StreamStarted started:
                _stream = started.Stream;
                _connected = true;
                _lastChunkTimestamp = Stopwatch.GetTimestamp();
                var info = started.Stream.Info;
                _quality = new ChannelQuality(info.ChannelCount, info.SampleRateHz, _failSafe.FlatMicrovolts, _failSafe.SaturationMicrovolts, _options.LineNoiseShare, _options.VarianceRatio);
                _signal = null;
                break;
            case StreamStopped:
                _connected = false;
                _quality?.Disconnect();
                break;
            case ChunkArrived chunk when _stream != null && chunk.Chunk.ChannelCount == _stream.Info.ChannelCount:
                _connected = true;
                _lastChunkTimestamp = chunk.ArrivalTimestamp;
                EnsureSignal();
                var c = chunk.Chunk;
                _quality!.Add(c.Span, c.SampleCount);
                _signal?.Add(c.Span, c.ChannelCount, c.SampleCount, c.FirstSampleIndex, _stream.Info.SampleRateHz);
                break;
        }
    }

    private void EnsureSignal()
    {
        if (_signal != null && _signalModelGeneration == _modelGeneration)
        {
            return;
        }

        IReadOnlyList<SosDesign> designs = [], bank = [];
        string description = "raw";
        try
        {
            var model = _models.Current;
            designs = model.Fitted.SignalSteps.OfType<FittedFilter>().Where(f => f.Design != null).Select(f => f.Design!).ToArray();
            bank = model.Fitted.SignalSteps.OfType<FittedFilterBank>().FirstOrDefault()?.Designs ?? [];
            var parts = designs.Select(d => d.Description).ToList();
            if (bank.Count > 0)
            {
                parts.Add($"sum of the filter bank's {bank.Count} bands ({string.Join(", ", model.Definition.BandTags!.Select(t => t.Replace('_', '–')))} Hz)");
            }

            description = string.Join(", then ", parts);
        }
        catch (InvalidOperationException)
        {
            // No model yet: raw.
        }

        _signal = new SignalView(_stream!.Info, _options.Channels.Count > 0 ? _options.Channels : ConsoleOptions.DefaultChannels, designs, bank, description);
        _signalModelGeneration = _modelGeneration;
    }

    private void OnDecision(ConsoleDecision d)
    {
        var decision = d.Decision;
        var point = new DecisionPoint(decision.TimeMilliseconds / 1000.0, decision.Probabilities, decision.Command, decision.Reason, d.Detail, decision.ClassNames);
        _decisions.AddLast(point);
        while (_decisions.Count > 0 && point.Seconds - _decisions.First!.Value.Seconds > DecisionSeconds)
        {
            _decisions.RemoveFirst();
        }

        // A stream that restarts goes back in time: keep only the new stream's points.
        while (_decisions.Count > 1 && _decisions.First!.Value.Seconds > point.Seconds)
        {
            _decisions.RemoveFirst();
        }

        if (_last is null || _last.Command != point.Command || _last.Reason != point.Reason)
        {
            _commands.AddLast(new CommandEvent(point.Seconds, point.Command, point.Reason, point.Detail));
            if (_commands.Count > CommandEvents)
            {
                _commands.RemoveFirst();
            }
        }

        _last = point;
    }

    private byte[] Build()
    {
        long sequence = Interlocked.Increment(ref _sequence);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("time", DateTime.UtcNow);
            w.WriteBoolean("control", _options.AllowControl);
            WriteStream(w);
            WriteChannels(w);
            WriteSignal(w);
            WriteDecisions(w);
            WriteMonitoring(w);
            WriteModel(w);
            WriteCalibrator(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteStream(Utf8JsonWriter w)
    {
        w.WriteStartObject("stream");
        w.WriteString("source", _stream?.SourceName);
        w.WriteString("subject", _stream?.Subject);
        Number(w, "rateHz", _stream?.Info.SampleRateHz ?? double.NaN);
        w.WriteNumber("channels", _stream?.Info.ChannelCount ?? 0);
        w.WriteBoolean("connected", _connected && _stream != null && _quality != null && _quality.State(0) != ChannelState.Disconnected);
        w.WriteEndObject();
    }

    private void WriteChannels(Utf8JsonWriter w)
    {
        w.WriteStartObject("channels");
        var names = _stream?.Info.Channels ?? [];
        bool head = names.Count > 0 && HeadLayout.Known(names);
        w.WriteString("layout", head ? "head" : "list");
        w.WriteStartArray("items");
        for (int c = 0; c < names.Count; c++)
        {
            w.WriteStartObject();
            w.WriteString("name", names[c]);
            w.WriteString("state", StateName(_quality?.State(c) ?? ChannelState.Disconnected));
            Number(w, "variance", _quality?.Variances[c] ?? double.NaN, 1);
            if (head && HeadLayout.Position(names[c]) is { } p)
            {
                w.WriteNumber("x", p.X);
                w.WriteNumber("y", p.Y);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteSignal(Utf8JsonWriter w)
    {
        w.WriteStartObject("signal");
        var s = _signal;
        w.WriteStartArray("names");
        foreach (string n in s?.Names ?? [])
        {
            w.WriteStringValue(n);
        }

        w.WriteEndArray();
        w.WriteString("filter", s?.Description ?? "no stream");
        Number(w, "rateHz", s?.RateHz ?? double.NaN);
        Number(w, "endSeconds", s?.EndSeconds ?? double.NaN, 4);
        w.WriteStartArray("data");
        if (s != null && s.Count > 0)
        {
            var values = ArrayPool<float>.Shared.Rent(s.Count);
            try
            {
                for (int k = 0; k < s.Names.Count; k++)
                {
                    s.CopyTo(k, values);
                    w.WriteStartArray();
                    for (int i = 0; i < s.Count; i++)
                    {
                        NumberValue(w, values[i], 1);
                    }

                    w.WriteEndArray();
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(values);
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteDecisions(Utf8JsonWriter w)
    {
        var classes = _last?.Classes ?? _model?.ClassNames ?? [];
        w.WriteStartObject("decisions");
        w.WriteStartArray("classes");
        foreach (string c in classes)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        Number(w, "threshold", _decoder.ConfidenceThreshold);
        Number(w, "dwellSeconds", _decoder.DwellSeconds);
        w.WriteStartArray("t");
        foreach (var d in _decisions)
        {
            NumberValue(w, d.Seconds, 4);
        }

        w.WriteEndArray();
        w.WriteStartArray("p");
        for (int k = 0; k < classes.Count; k++)
        {
            w.WriteStartArray();
            foreach (var d in _decisions)
            {
                NumberValue(w, k < d.Probabilities.Length ? d.Probabilities[k] : double.NaN, 4);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteStartArray("command");
        foreach (var d in _decisions)
        {
            w.WriteNumberValue(IndexOf(classes, d.Command));
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("current");
        w.WriteString("command", _last?.Command);
        w.WriteString("reason", _last is null || _last.Reason == FailSafeReason.None ? null : _last.Reason.Name());
        w.WriteString("detail", _last?.Detail);
        Number(w, "t", _last?.Seconds ?? double.NaN, 3);
        w.WriteEndObject();

        w.WriteStartArray("commands");
        foreach (var e in _commands.Reverse())
        {
            w.WriteStartObject();
            Number(w, "t", e.Seconds, 3);
            w.WriteString("command", e.Command);
            w.WriteString("reason", e.Reason == FailSafeReason.None ? null : e.Reason.Name());
            w.WriteString("detail", e.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private void WriteMonitoring(Utf8JsonWriter w)
    {
        var (oldest, newest) = (_history.Peek(), _history.Last());
        var recent = LatencyHistogram.Difference(newest.Latency, oldest.Latency);
        double span = Stopwatch.GetElapsedTime(oldest.Timestamp, newest.Timestamp).TotalSeconds;
        w.WriteStartObject("latency");
        w.WriteNumber("count", recent.Sum());
        Number(w, "p50", LatencyHistogram.Quantile(recent, 0.5), 3);
        Number(w, "p99", LatencyHistogram.Quantile(recent, 0.99), 3);
        Number(w, "seconds", span, 1);
        w.WriteStartArray("bins");
        var counts = new long[LatencyBinsMs.Length];
        for (int i = 0; i < recent.Length; i++)
        {
            if (recent[i] == 0)
            {
                continue;
            }

            double upper = LatencyHistogram.UpperBoundMilliseconds(i);
            int bin = Array.FindIndex(LatencyBinsMs, b => upper <= b * 1.0000001);
            counts[bin < 0 ? counts.Length - 1 : bin] += recent[i];
        }

        for (int b = 0; b < LatencyBinsMs.Length; b++)
        {
            w.WriteStartObject();
            w.WriteString("le", double.IsPositiveInfinity(LatencyBinsMs[b]) ? "+Inf" : LatencyBinsMs[b].ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNumber("count", counts[b]);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("rates");
        Number(w, "windowsPerSecond", span > 0 ? (newest.Windows - oldest.Windows) / span : double.NaN, 2);
        w.WriteNumber("windows", _metrics.Windows);
        w.WriteNumber("decisions", _metrics.Decisions);
        w.WriteNumber("commands", _metrics.Commands);
        w.WriteEndObject();

        w.WriteStartObject("drops");
        foreach (var buffer in Enum.GetValues<DaemonBuffer>())
        {
            w.WriteNumber(buffer.ToString().ToLowerInvariant(), _metrics.Dropped(buffer));
        }

        w.WriteNumber("console_events", _tap.DroppedEvents);
        w.WriteNumber("console_decisions", _tap.DroppedDecisions);
        w.WriteNumber("console_frames", _hub.DroppedFrames);
        w.WriteEndObject();

        w.WriteStartObject("failSafe");
        foreach (var reason in FailSafeReasons.All)
        {
            w.WriteNumber(reason.Name(), _metrics.FailSafe(reason));
        }

        w.WriteEndObject();
        w.WriteNumber("clients", _hub.Clients);
    }

    private void WriteModel(Utf8JsonWriter w)
    {
        var m = _model;
        if (m is null)
        {
            w.WriteNull("model");
            return;
        }

        w.WriteStartObject("model");
        w.WriteString("id", m.Id);
        w.WriteString("pipeline", m.Pipeline);
        w.WriteString("file", m.Source);
        if (m.Written is { } written)
        {
            w.WriteString("written", written);
        }
        else
        {
            w.WriteNull("written");
        }

        w.WriteString("method", m.Method);
        w.WriteString("target", m.Target);
        w.WriteStartArray("sources");
        foreach (string s in m.Sources)
        {
            w.WriteStringValue(s);
        }

        w.WriteEndArray();
        w.WriteStartArray("classes");
        foreach (string c in m.ClassNames)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        w.WriteStartArray("report");
        foreach (var r in m.Methods)
        {
            w.WriteStartObject();
            w.WriteString("method", r.Method);
            Number(w, "accuracy", r.Accuracy ?? double.NaN, 3);
            Number(w, "balancedAccuracy", r.BalancedAccuracy ?? double.NaN, 3);
            w.WriteBoolean("chosen", r.Chosen);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("files");
        foreach (string f in m.Files)
        {
            w.WriteStringValue("report/" + Uri.EscapeDataString(f));
        }

        w.WriteEndArray();
        w.WriteString("reportProblem", m.ReportProblem);
        w.WriteEndObject();
    }

    private void WriteCalibrator(Utf8JsonWriter w)
    {
        w.WriteStartObject("calibrator");
        bool on = _calibrator.Enabled;
        w.WriteBoolean("enabled", on);
        w.WriteString("state", !on ? "off" : _calibrator.Calibrating ? "calibrating" : "collecting");
        Number(w, "collectedSeconds", on ? _calibrator.CollectedSeconds : 0, 1);
        Number(w, "targetSeconds", _calibrator.CollectTargetSeconds, 1);
        w.WriteNumber("runs", _calibrator.Runs);
        w.WriteString("last", _calibrator.LastOutcome);
        w.WriteEndObject();
    }

    private static int IndexOf(IReadOnlyList<string> classes, string command)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (string.Equals(classes[i], command, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string StateName(ChannelState state) => state switch
    {
        ChannelState.Ok => "ok",
        ChannelState.Flat => "flat",
        ChannelState.Saturated => "saturated",
        ChannelState.NonFinite => "non_finite",
        ChannelState.Disconnected => "disconnected",
        ChannelState.Noisy => "noisy",
        _ => state.ToString(),
    };

    private static void Number(Utf8JsonWriter w, string name, double value, int digits = 6)
    {
        w.WritePropertyName(name);
        NumberValue(w, value, digits);
    }

    private static void NumberValue(Utf8JsonWriter w, double value, int digits)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(Math.Round(value, digits));
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private sealed record DecisionPoint(double Seconds, float[] Probabilities, string Command, FailSafeReason Reason, string? Detail, IReadOnlyList<string> Classes);

    private sealed record CommandEvent(double Seconds, string Command, FailSafeReason Reason, string? Detail);
}
