using System.Buffers;
using System.Runtime.InteropServices;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Dsp.Alignment;
using EegDann.Pipelines;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Processing;

/// <summary>
/// The filter/window stage: source events in, one <see cref="WindowItem"/> per window position
/// out. Chunks go through the model's <see cref="OnlineFrontEnd"/> (the same streaming stages as
/// calibration); every position on the model's window grid that the input passes becomes either a
/// clean window for the decoder or a fail-safe item. This class only coordinates; each rule has
/// its own part: <see cref="ContinuityGuard"/> (gaps, jumps back, disconnects),
/// <see cref="ChannelQualityCheck"/> (NaN/±∞, flat, saturated, non-finite input),
/// <see cref="ModelSwapper"/> (the model bound to the stream, hot swap),
/// <see cref="WindowPositions"/> (one item per grid position) and <see cref="FailSafeEpisode"/>
/// (entered and cleared, logged and counted).
/// </summary>
/// <remarks>
/// <para>Fail-safe rules. A chunk with NaN or infinity in a channel the model uses is never pushed
/// (the recursive filters would keep it forever); the filters restart at the next clean chunk. A
/// gap or jump back in sample indices restarts them too. Until the first window that lies wholly
/// after the restart, every window position passed is a fail-safe item carrying the reason. A
/// window in which a used channel is flat or reaches the saturation level, whose features are not
/// finite, or whose stream-estimated alignment is still warming up is a fail-safe item too. A
/// stream the model cannot decode (channels missing, or a rate that does not convert exactly to
/// the pipeline's or whose Nyquist frequency is at or below the pipeline's highest band edge)
/// gives a fail-safe item for every window position it passes.</para>
/// <para>Not thread-safe: one stream, one caller.</para>
/// </remarks>
internal sealed partial class WindowStage : IOnlineWindowConsumer
{
    private readonly ActiveModel _models;
    private readonly string _defaultSubject;
    private readonly ILogger _logger;
    private readonly ContinuityGuard _continuity = new();
    private readonly ChannelQualityCheck _quality;
    private readonly WindowPositions _positions = new();
    private readonly FailSafeEpisode _episode;
    private readonly ModelSwapper _swapper;
    private readonly List<WindowItem> _items = new(16);

    private StreamDescription? _stream;
    private string _subject;
    private bool _needsRestart = true;
    private long _arrival;

    /// <summary>Creates the stage.</summary>
    /// <param name="models">The active model.</param>
    /// <param name="failSafe">Fail-safe settings.</param>
    /// <param name="decoder">Decoder settings (the alignment mode among them).</param>
    /// <param name="acquisition">Acquisition settings (the default subject).</param>
    /// <param name="metrics">The daemon's metrics.</param>
    /// <param name="logger">The log.</param>
    /// <param name="alignmentWorker">
    /// Where an alignment estimated from the stream recomputes R^-1/2: a worker thread beside the
    /// control thread (the live daemon), or null for the control thread itself, in parts (a replay at
    /// full speed, which would only wait for the worker). The windows are the same bit for bit.
    /// </param>
    public WindowStage(ActiveModel models, FailSafeOptions failSafe, DecoderOptions decoder, AcquisitionOptions acquisition, DaemonMetrics metrics, ILogger<WindowStage> logger, AlignmentWorker? alignmentWorker = null)
    {
        _models = models;
        _defaultSubject = acquisition.Subject;
        _subject = acquisition.Subject;
        _logger = logger;
        _quality = new ChannelQualityCheck(failSafe);
        _episode = new FailSafeEpisode(metrics, logger);
        _swapper = new ModelSwapper(models, failSafe, decoder, logger, alignmentWorker);
    }

    /// <summary>The current fail-safe reason, or <see cref="FailSafeReason.None"/>.</summary>
    public FailSafeReason Hold => _episode.Hold;

    /// <summary>
    /// Handles one source event and returns the items it produces, in order. The span is the
    /// stage's own buffer: valid until the next call.
    /// </summary>
    public ReadOnlySpan<WindowItem> Handle(SourceEvent sourceEvent)
    {
        _items.Clear();
        switch (sourceEvent)
        {
            case ChunkArrived chunk:
                OnChunk(chunk.Chunk, chunk.ArrivalTimestamp);
                break;
            case StreamStarted started:
                OnStreamStarted(started.Stream);
                break;
            case StreamStopped stopped when _stream != null:
                _episode.Enter(FailSafeReason.Disconnected, PipelineIndex(_continuity.Position), stopped.Reason);
                break;
            case StaleTick tick when _stream != null:
                // No model: the decoder keeps the one it is using (a heartbeat must not retire it).
                _items.Add(new WindowItem(WindowItemKind.Stale, PipelineIndex(_continuity.Position), SampleRateHz, tick.Timestamp, null, null, FailSafeReason.Stale));
                break;
        }

        return CollectionsMarshal.AsSpan(_items);
    }

    /// <summary>Handles one source event; the items it produces are appended to <paramref name="output"/>.</summary>
    public void Handle(SourceEvent sourceEvent, List<WindowItem> output) => output.AddRange(Handle(sourceEvent));

    /// <inheritdoc />
    void IOnlineWindowConsumer.OnWindow(in OnlineWindow window)
    {
        long end = window.EndSample;
        if (_swapper.Priming || _positions.IsAccounted(end))
        {
            // Primed filters' windows are discarded; a position already passed was a fail-safe item.
            return;
        }

        AccountPassed(end - 1);
        _positions.Take(end);
        int bad = _quality.FindBadChannel(_swapper.Raw!, _swapper.Rate.ToSource(window.StartSample), _swapper.Rate.ToSource(end), out var reason);
        if (bad >= 0)
        {
            FailSafe(reason, end, _stream!.Info.Channels[bad]);
            return;
        }

        var model = _swapper.Model!;
        var input = window.Features;
        if (!ChannelQualityCheck.AllFinite(input))
        {
            FailSafe(FailSafeReason.NonFinite, end, "features");
            _needsRestart = true;
            return;
        }

        if (!window.AlignmentReady)
        {
            FailSafe(FailSafeReason.AlignmentWarmup, end, null);
            return;
        }

        if (!window.StandardizationReady)
        {
            FailSafe(FailSafeReason.StandardizationWarmup, end, null);
            return;
        }

        _episode.Clear(end);
        var buffer = ArrayPool<double>.Shared.Rent(input.Length);
        input.CopyTo(buffer);
        _items.Add(new WindowItem(WindowItemKind.Window, end, model.PipelineSignal.SampleRateHz, _arrival, model, buffer));
    }

    private double SampleRateHz => _swapper.Model?.PipelineSignal.SampleRateHz ?? _stream!.Info.SampleRateHz;

    private long PipelineIndex(long sourceIndex) => _swapper.Rate.ToPipeline(sourceIndex);

    private void OnStreamStarted(StreamDescription stream)
    {
        string subject = stream.Subject ?? _defaultSubject;
        bool continues = _stream != null && stream.Info.Equals(_stream.Info) && subject == _subject && _swapper.Model != null;
        _stream = stream;
        _subject = subject;
        _models.StreamChanged(stream, subject);
        LogStream(stream.SourceName, stream.Info.SampleRateHz, stream.Info.ChannelCount, subject, continues);
        if (!continues)
        {
            _swapper.Bind(stream, subject, _models.Current, this);
            ModelBound();
            _continuity.Forget();
            _needsRestart = true;
            _positions.Forget();
        }
    }

    /// <summary>The model's channels and grid are the quality check's and the positions'.</summary>
    private void ModelBound()
    {
        _quality.Use(_stream!.Info, _swapper.Model!.PipelineSignal);
        _positions.Grid = _swapper.Grid;
    }

    private void OnChunk(SampleChunk chunk, long arrival)
    {
        if (_stream is null || _swapper.Raw is null)
        {
            LogChunkWithoutStream(chunk.FirstSampleIndex);
            return;
        }

        _arrival = arrival;
        try
        {
            Process(chunk);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException or IndexOutOfRangeException)
        {
            // A bad chunk never stops the service: log it, fail safe, start the filters again.
            LogChunkFailed(e, chunk.FirstSampleIndex, chunk.SampleCount);
            _episode.Enter(FailSafeReason.ProcessingError, PipelineIndex(chunk.EndSampleIndex), e.Message);
            _needsRestart = true;
            _continuity.Spent(chunk.EndSampleIndex);
            _swapper.Raw.Restart(chunk.EndSampleIndex);
            AccountPassed(PipelineIndex(chunk.EndSampleIndex));
        }
    }

    private void Process(SampleChunk chunk)
    {
        if (chunk.ChannelCount != _stream!.Info.ChannelCount)
        {
            throw new ArgumentException($"a chunk of {chunk.ChannelCount} channels in a stream of {_stream.Info.ChannelCount}");
        }

        switch (_swapper.SwapIfNeeded(canPrime: !_needsRestart && _continuity.HasPosition))
        {
            case SwapOutcome.Primed:
                ModelBound();
                _positions.ResumeAfter(_swapper.FrontEnd!.NextOutputIndex);
                break;
            case SwapOutcome.NeedsRestart:
                ModelBound();
                _needsRestart = true;
                break;
        }

        long first = chunk.FirstSampleIndex;
        long end = chunk.EndSampleIndex;
        var continuity = _continuity.Advance(first, end, out long expected);
        if (continuity is Continuity.Gap or Continuity.WentBack)
        {
            _episode.Enter(FailSafeReason.Gap, PipelineIndex(first), ContinuityGuard.Describe(continuity, first, expected));
            _needsRestart = true;
            if (continuity == Continuity.WentBack)
            {
                _positions.Forget();
            }
            else
            {
                // Positions that end inside the gap get no item: the gap is one episode, whatever
                // its length (accounting them one by one would cost time and memory in proportion
                // to a number the source chose).
                _positions.SkipTo(PipelineIndex(first));
            }
        }

        int bad = _quality.FindNonFinite(chunk, out long badSample);
        if (bad >= 0)
        {
            _episode.Enter(FailSafeReason.NonFinite, PipelineIndex(badSample), $"channel {_stream.Info.Channels[bad]} at sample {badSample}");
            _needsRestart = true;
            _swapper.Raw!.Restart(end);
            AccountPassed(PipelineIndex(end));
            return;
        }

        if (_needsRestart)
        {
            _swapper.Restart(first);
            _needsRestart = false;
            _positions.RestartAt(PipelineIndex(first));
        }

        if (_swapper.FrontEnd is null)
        {
            _episode.Enter(_swapper.Mismatch.Reason, PipelineIndex(first), _swapper.Mismatch.Detail);
            AccountPassed(PipelineIndex(end));
            return;
        }

        _swapper.Push(chunk.Span, chunk.SampleCount, first);
        if (_episode.Hold != FailSafeReason.None)
        {
            // Only positions the front end has passed: a resampler lags the input by half its
            // filter, and a position it has yet to deliver may be the clean window that clears.
            AccountPassed(_swapper.FrontEnd.NextOutputIndex);
        }
    }

    /// <summary>Every window position with an end at or before <paramref name="pipelineEnd"/> not yet accounted for becomes a fail-safe item.</summary>
    private void AccountPassed(long pipelineEnd)
    {
        var reason = _episode.PassedReason;
        while (_positions.TryTakePassed(pipelineEnd, out long end))
        {
            Emit(end, reason, null);
        }
    }

    private void FailSafe(FailSafeReason reason, long end, string? detail)
    {
        _episode.Enter(reason, end, detail);
        Emit(end, reason, detail);
    }

    private void Emit(long end, FailSafeReason reason, string? detail)
    {
        _episode.CountWindow();
        _items.Add(new WindowItem(WindowItemKind.FailSafe, end, SampleRateHz, _arrival, _swapper.Model, null, reason, detail));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Source}: {SampleRateHz} Hz, {Channels} channels, subject {Subject} (continues the previous stream: {Continues})")]
    private partial void LogStream(string source, double sampleRateHz, int channels, string subject, bool continues);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk at sample {Sample} arrived before any stream header; ignored")]
    private partial void LogChunkWithoutStream(long sample);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chunk at sample {Sample} ({Samples} samples) could not be processed; failing safe and restarting the filters")]
    private partial void LogChunkFailed(Exception exception, long sample, int samples);
}
