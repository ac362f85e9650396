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
using static EegDann.Daemon.LiveConsole.ConsoleJson;

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
/// frames — its queue is lossy — only misses time, never consistency. The parts with state of
/// their own write their part of the frame: <see cref="DecisionHistory"/> (decisions, current,
/// commands), <see cref="MonitoringView"/> (latency, rates, drops, fail-safe counts) and
/// <see cref="ModelSummary"/> (model); this class writes the stream, channels, traces and calibrator.
/// </remarks>
internal sealed class ConsoleFeed : BackgroundService
{
    private readonly ConsoleOptions _options;
    private readonly ConsoleTap _tap;
    private readonly ConsoleHub _hub;
    private readonly ActiveModel _models;
    private readonly CalibratorService _calibrator;
    private readonly DecoderOptions _decoder;
    private readonly FailSafeOptions _failSafe;
    private readonly DecisionHistory _decisions = new();
    private readonly MonitoringView _monitoring;
    private StreamDescription? _stream;
    private bool _connected;
    private long _lastChunkTimestamp;
    private ChannelQuality? _quality;
    private SignalView? _signal;
    private long _signalModelGeneration = -1;
    private ModelSummary? _model;
    private long _modelGeneration = -1;
    private long _sequence;
    private long _streamVersion;
    private byte[]? _latest;

    public ConsoleFeed(IOptions<ConsoleOptions> options, IOptions<MetricsOptions> metricsOptions, ConsoleTap tap, ConsoleHub hub, ActiveModel models, DaemonMetrics metrics, CalibratorService calibrator, IOptions<DecoderOptions> decoder, IOptions<FailSafeOptions> failSafe)
    {
        _options = options.Value;
        _tap = tap;
        _hub = hub;
        _models = models;
        _calibrator = calibrator;
        _decoder = decoder.Value;
        _failSafe = failSafe.Value;
        _monitoring = new MonitoringView(metrics, tap, hub);
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
            // Stream starts and stops bypass the lossy queue: a burst of chunks cannot push them out. A stream
            // that started and stopped since the last update is shown, stopped: its start first, then its stop.
            _streamVersion = version;
            if (streamEvent is StreamStopped && _tap.LastStart is { } start && !ReferenceEquals(start.Stream, _stream))
            {
                OnEvent(start);
            }

            OnEvent(streamEvent);
        }

        while (_tap.Events.Reader.TryRead(out var e))
        {
            OnEvent(e);
        }

        while (_tap.Decisions.Reader.TryRead(out var d))
        {
            _decisions.Add(d);
        }

        if (_connected && _stream != null && Stopwatch.GetElapsedTime(_lastChunkTimestamp).TotalSeconds > 2.0)
        {
            // Silent for two seconds: the decoder reports stale; the electrodes cannot be judged.
            _quality?.Disconnect();
        }

        _monitoring.Sample(Stopwatch.GetTimestamp());
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
            _decisions.Write(w, _decisions.LastClasses ?? _model?.ClassNames ?? [], _decoder);
            _monitoring.Write(w);
            if (_model is { } model)
            {
                model.WriteJson(w);
            }
            else
            {
                w.WriteNull("model");
            }

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
}
