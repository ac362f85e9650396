using System.Buffers;
using System.Diagnostics;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.Model;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Decoding;

/// <summary>
/// The decoder: a window's input through the model's forward pass (one sample through
/// <see cref="ModelPredictor"/>: managed code for an MLP, nothing allocated), then the
/// <see cref="DecisionPolicy"/>; the <see cref="Decision"/> is a value.
/// Fail-safe and heartbeat items reset the policy and give <c>none</c>. Each window is decoded
/// by the model whose pipeline computed it, so a swap takes effect exactly between two windows.
/// Not thread-safe: one caller.
/// </summary>
internal sealed partial class DecodeStage
{
    private readonly DecoderOptions _options;
    private readonly ActiveModel _models;
    private readonly DaemonMetrics _metrics;
    private readonly IDecodeObserver[] _observers;
    private readonly ILogger _logger;
    private DecoderModel? _model;
    private ModelPredictor? _predictor;
    private DecisionPolicy? _policy;
    private float[] _input = [];
    private float[] _probabilities = [];

    public DecodeStage(DecoderOptions options, ActiveModel models, DaemonMetrics metrics, IEnumerable<IDecodeObserver> observers, ILogger<DecodeStage> logger)
    {
        _options = options;
        _models = models;
        _metrics = metrics;
        _observers = observers.ToArray();
        _logger = logger;
    }

    /// <summary>Decides one item and returns its input buffer to the pool.</summary>
    public Decision Decode(in WindowItem item)
    {
        try
        {
            if (item.Model != null && !ReferenceEquals(item.Model, _model))
            {
                Use(item.Model);
            }

            return item.Kind == WindowItemKind.Window ? DecodeWindow(item) : FailSafe(item, item.Reason);
        }
        finally
        {
            if (item.Input != null)
            {
                ArrayPool<double>.Shared.Return(item.Input);
            }
        }
    }

    private Decision DecodeWindow(in WindowItem item)
    {
        var model = _model!;
        var input = item.Input.AsSpan(0, model.InputSize);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)input[i];
        }

        long start = Stopwatch.GetTimestamp();
        _predictor!.PredictProbabilities(_input, _probabilities);
        _metrics.WindowDecoded((double)(start - item.ArrivalTimestamp) * 1000.0 / Stopwatch.Frequency, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return Decide(item, input);
    }

    /// <summary>The decision for a window whose probabilities are in <c>_probabilities</c>.</summary>
    private Decision Decide(in WindowItem item, ReadOnlySpan<double> input)
    {
        var model = _model!;
        foreach (float p in _probabilities)
        {
            if (!float.IsFinite(p))
            {
                LogNonFiniteOutput(item.EndSample, model.Id);
                return FailSafe(item, FailSafeReason.NonFinite);
            }
        }

        int command = _policy!.Update(_probabilities);
        var decision = new Decision(
            command == DecisionPolicy.None ? Decision.NoCommand : model.ClassNames[command],
            model.ClassNames,
            ClassProbabilities.From(_policy.Smoothed),
            item.TimeMilliseconds,
            item.ArrivalTimestamp,
            model.Id,
            FailSafeReason.None,
            MeasuresLatency: true);
        foreach (var observer in _observers)
        {
            observer.OnDecoded(item, input, _probabilities, decision);
        }

        return decision;
    }

    private Decision FailSafe(in WindowItem item, FailSafeReason reason)
    {
        _policy?.Reset();
        var decision = new Decision(
            Decision.NoCommand,
            _model?.ClassNames ?? [],
            ClassProbabilities.Empty,
            item.TimeMilliseconds,
            item.ArrivalTimestamp,
            _model?.Id ?? string.Empty,
            reason,
            MeasuresLatency: item.Kind != WindowItemKind.Stale);
        foreach (var observer in _observers)
        {
            observer.OnDecoded(item, [], [], decision);
        }

        return decision;
    }

    private void Use(DecoderModel model)
    {
        bool sameClasses = _model != null && _model.ClassNames.SequenceEqual(model.ClassNames, StringComparer.Ordinal);
        bool sameStride = _model != null && _model.StrideSamples == model.StrideSamples && _model.PipelineSignal.SampleRateHz.Equals(model.PipelineSignal.SampleRateHz);
        _model = model;
        _predictor = model.CreatePredictor();
        _input = new float[model.InputSize];
        _probabilities = new float[model.ClassNames.Count];
        if (!(sameClasses && sameStride))
        {
            double stride = model.StrideSamples / model.PipelineSignal.SampleRateHz;
            _policy = new DecisionPolicy(model.ClassNames.Count, _options.SmoothingAlpha, _options.ConfidenceThreshold, DecisionPolicy.WindowsFor(_options.DwellSeconds, stride));
        }

        _models.ReleaseBefore(model.Generation);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {ModelId} gave non-finite probabilities for the window ending at sample {Sample}; failing safe")]
    private partial void LogNonFiniteOutput(long sample, string modelId);
}
