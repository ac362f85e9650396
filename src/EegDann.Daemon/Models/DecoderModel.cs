using EegDann.Core;
using EegDann.Daemon.Options;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Segmentation;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Definitions;

namespace EegDann.Daemon.Models;

/// <summary>
/// A model ready to decode: the trained network, the pipeline it was trained behind and that
/// pipeline's fitted state, checked to fit together. Immutable apart from its native memory
/// (dispose it when no window refers to it any more).
/// </summary>
public sealed class DecoderModel : IDisposable
{
    private int _disposed;

    internal DecoderModel(ModelPackage package, PipelineDefinition definition, FittedPipeline fitted, string source)
    {
        Package = package;
        Definition = definition;
        Fitted = fitted;
        Source = source;
        Id = package.Id;
        ClassNames = package.Model.ClassNames;
        InputSize = package.Model.Spec.SampleSize;
        PipelineSignal = new SignalInfo(definition.Signal.SampleRateHz, definition.Signal.Channels);
        WindowSamples = (int)SampleTime.ToSamples(definition.Windows.LengthSeconds, definition.Signal.SampleRateHz);
        StrideSamples = (int)SampleTime.ToSamples(definition.Windows.StrideSeconds, definition.Signal.SampleRateHz);
    }

    /// <summary>The model's id (16 hex digits of its content hash), as the decisions report it.</summary>
    public string Id { get; }

    /// <summary>Where it came from (a file path, or a calibration).</summary>
    public string Source { get; }

    /// <summary>The model file's content.</summary>
    public ModelPackage Package { get; }

    /// <summary>The pipeline the model was trained behind.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>The pipeline's fitted state (filter designs, alignments, feature fits).</summary>
    public FittedPipeline Fitted { get; }

    /// <summary>Class names in network order: the commands besides <c>none</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Values in one network input.</summary>
    public int InputSize { get; }

    /// <summary>The pipeline's channels and rate.</summary>
    public SignalInfo PipelineSignal { get; }

    /// <summary>Window length, samples at the pipeline's rate.</summary>
    public int WindowSamples { get; }

    /// <summary>Samples between windows at the pipeline's rate.</summary>
    public int StrideSamples { get; }

    /// <summary>Which model this is since the daemon started (1 for the first; set when it is swapped in).</summary>
    public long Generation { get; internal set; }

    /// <summary>Whether the pipeline has a Euclidean alignment step.</summary>
    public bool Aligns => Fitted.Alignment != null;

    /// <summary>The online alignment to use for <paramref name="subject"/> under <paramref name="mode"/>.</summary>
    public OnlineAlignment AlignmentFor(string subject, AlignmentMode mode) => mode switch
    {
        AlignmentMode.Fixed => OnlineAlignment.Fixed,
        AlignmentMode.Adaptive => OnlineAlignment.Adaptive,
        AlignmentMode.FromStream => OnlineAlignment.FromStream,
        _ => Fitted.Alignment is null || Fitted.Alignment.For(subject) != null ? OnlineAlignment.Fixed : OnlineAlignment.FromStream,
    };

    /// <summary>Builds the signal front end of this model for a stream.</summary>
    /// <exception cref="EegDann.Dsp.Streaming.ChannelMismatchException">When the stream lacks a pipeline channel.</exception>
    /// <exception cref="InvalidOperationException">When a fixed alignment is asked and the model has none for the subject.</exception>
    /// <exception cref="ArgumentException">When the stream's rate cannot be converted to the pipeline's.</exception>
    /// <param name="stream">The stream's channels and rate.</param>
    /// <param name="subject">Who is being decoded.</param>
    /// <param name="mode">How to align.</param>
    /// <param name="consumer">Receives each window.</param>
    /// <param name="alignmentWorker">The thread an alignment estimated from the stream recomputes R^-1/2 on, or null for the caller's (the same windows either way).</param>
    public OnlineFrontEnd CreateFrontEnd(SignalInfo stream, string subject, AlignmentMode mode, IOnlineWindowConsumer consumer, AlignmentWorker? alignmentWorker = null) =>
        new(Definition, Fitted, stream, subject, AlignmentFor(subject, mode), consumer, alignmentWorker: alignmentWorker);

    /// <summary>A predictor (one per decoding thread).</summary>
    public ModelPredictor CreatePredictor() => Package.Model.CreatePredictor();

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Package.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Definition.Name}, {string.Join("/", ClassNames)}, from {Source})";
}
