using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Pipelines;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Models;

/// <summary>
/// The model in use, swapped atomically. A swap publishes a new model with a higher generation;
/// the filter/window stage picks it up between two windows (at its next chunk) and every window
/// carries the model it was computed with, so features and network never mix. Replaced models
/// are disposed once the decoder has moved past them.
/// </summary>
public sealed partial class ActiveModel : IDisposable
{
    private readonly object _gate = new();
    private readonly List<(long Generation, DecoderModel Model)> _retired = [];
    private readonly DaemonMetrics _metrics;
    private readonly ILogger _logger;
    private DecoderModel? _current;
    private long _generation;
    private StreamDescription? _stream;
    private string _subject = "online";
    private AlignmentMode _alignment;

    /// <summary>Creates the holder (empty until <see cref="Initialize"/>).</summary>
    public ActiveModel(DaemonMetrics metrics, ILogger<ActiveModel> logger)
    {
        _metrics = metrics;
        _logger = logger;
        metrics.Meter?.CreateObservableGauge("eegdann_model_generation", () => Generation, description: "Which model is in use (1 for the first, +1 per swap).");
        metrics.Meter?.CreateObservableGauge("eegdann_model_info", ModelInfo, description: "The model in use.");
    }

    /// <summary>The model in use.</summary>
    /// <exception cref="InvalidOperationException">Before the first model is loaded.</exception>
    public DecoderModel Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("no model has been loaded yet.");

    /// <summary>Increases with every swap (the first model is generation 1).</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>1 tagged with the id of the model in use; nothing before the first.</summary>
    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> ModelInfo() =>
        Volatile.Read(ref _current) is { } model ? [new(1, new KeyValuePair<string, object?>("id", model.Id))] : [];

    /// <summary>Sets the first model.</summary>
    internal void Initialize(DecoderModel model, AlignmentMode alignment)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            if (_current != null)
            {
                throw new InvalidOperationException("the first model was already loaded.");
            }

            _alignment = alignment;
            Publish(model);
        }
    }

    /// <summary>The filter/window stage reports the stream it decodes, so candidates are checked against it.</summary>
    internal void StreamChanged(StreamDescription stream, string subject)
    {
        lock (_gate)
        {
            _stream = stream;
            _subject = subject;
        }
    }

    /// <summary>
    /// Checks <paramref name="candidate"/> against the stream being decoded (channels, rate,
    /// alignment for the subject) and swaps it in; on any problem keeps the current model,
    /// disposes the candidate and returns the reason.
    /// </summary>
    /// <param name="candidate">A model that passed <see cref="DecoderModelLoader"/>'s checks.</param>
    /// <param name="origin">Why it is offered (e.g. <c>model file changed</c>, <c>calibration</c>), for the log.</param>
    /// <returns>Null when swapped in, else why not.</returns>
    public string? TrySwap(DecoderModel candidate, string origin)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        lock (_gate)
        {
            string? problem = null;
            if (_current != null && candidate.Id == _current.Id)
            {
                problem = "it is the model already in use";
            }
            else if (_stream != null)
            {
                try
                {
                    // Builds the front end the stage will build: proves the stream fits.
                    _ = candidate.CreateFrontEnd(_stream.Info, _subject, _alignment, NullWindowConsumer.Instance);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    problem = $"it does not fit the stream being decoded ({e.Message})";
                }
            }

            if (problem != null)
            {
                candidate.Dispose();
                _metrics.ModelRejected();
                LogRejected(candidate.Source, origin, problem);
                return problem;
            }

            var previous = _current;
            Publish(candidate);
            _metrics.ModelSwapped();
            LogSwapped(candidate.Id, candidate.Source, origin, previous?.Id ?? "none", _generation);
            return null;
        }
    }

    /// <summary>The decoder has moved on to <paramref name="generation"/>: older models can go.</summary>
    internal void ReleaseBefore(long generation)
    {
        lock (_gate)
        {
            for (int i = _retired.Count - 1; i >= 0; i--)
            {
                if (_retired[i].Generation < generation)
                {
                    _retired[i].Model.Dispose();
                    _retired.RemoveAt(i);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, model) in _retired)
            {
                model.Dispose();
            }

            _retired.Clear();
            _current?.Dispose();
            _current = null;
        }
    }

    private void Publish(DecoderModel model)
    {
        if (_current != null)
        {
            _retired.Add((_generation, _current));
        }

        model.Generation = _generation + 1;
        Volatile.Write(ref _current, model);
        Volatile.Write(ref _generation, model.Generation);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelId} from {Source} swapped in ({Origin}), replacing {PreviousId}; generation {Generation}")]
    private partial void LogSwapped(string modelId, string source, string origin, string previousId, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model from {Source} rejected ({Origin}): {Problem}; keeping the current model")]
    private partial void LogRejected(string source, string origin, string problem);

    private sealed class NullWindowConsumer : IOnlineWindowConsumer
    {
        public static readonly NullWindowConsumer Instance = new();

        public void OnWindow(in OnlineWindow window)
        {
        }
    }
}
