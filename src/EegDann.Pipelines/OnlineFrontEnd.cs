using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;

namespace EegDann.Pipelines;

/// <summary>How the live decoder aligns windows.</summary>
public enum OnlineAlignment
{
    /// <summary>Use the subject's alignment from the fitted pipeline as it is (calibrated beforehand).</summary>
    Fixed,

    /// <summary>Start from the subject's fitted alignment (if any) and keep updating it with the windows seen.</summary>
    Adaptive,

    /// <summary>Estimate the alignment from the stream only; windows are flagged not ready during the warm-up.</summary>
    FromStream,
}

/// <summary>One decoded window as the live path hands it on. Valid only during the call.</summary>
public readonly ref struct OnlineWindow
{
    private readonly WindowContext _context;

    /// <summary>Creates the view.</summary>
    public OnlineWindow(long startSample, int length, ReadOnlySpan<double> features, WindowContext context, bool alignmentReady, bool standardizationReady = true)
    {
        StartSample = startSample;
        Length = length;
        Features = features;
        _context = context;
        AlignmentReady = alignmentReady;
        StandardizationReady = standardizationReady;
    }

    /// <summary>Stream index (pipeline rate) of the window's first sample.</summary>
    public long StartSample { get; }

    /// <summary>Window length, samples.</summary>
    public int Length { get; }

    /// <summary>Stream index one past the window's last sample.</summary>
    public long EndSample => StartSample + Length;

    /// <summary>The features (standardised when the pipeline standardises); empty for pipelines without feature steps.</summary>
    public ReadOnlySpan<double> Features { get; }

    /// <summary>
    /// The aligned filtered window, channel-major (channels × samples), µV (no extractor reads it since
    /// the convolutional one was removed; tests compare whole windows with it). Computed on first read
    /// (a channels² × samples product). Only when the front
    /// end was built with <c>readsAlignedSamples</c> or cuts whole windows (else InvalidOperationException).
    /// </summary>
    public ReadOnlySpan<double> AlignedSamples => _context.AlignedSamples;

    /// <summary>False while an alignment estimated from the stream is still warming up: do not act on this window.</summary>
    public bool AlignmentReady { get; }

    /// <summary>False while a per-subject standardisation estimated from the stream is still warming up: do not act on this window.</summary>
    public bool StandardizationReady { get; }

    /// <summary>Whether every estimate from the stream is warm: the window may be acted on.</summary>
    public bool Ready => AlignmentReady && StandardizationReady;
}

/// <summary>Receives the live path's windows.</summary>
public interface IOnlineWindowConsumer
{
    /// <summary>One window is ready.</summary>
    void OnWindow(in OnlineWindow window);
}

/// <summary>
/// The live decoder's signal front end: chunks in → channel mapping, resampling, filters → sliding
/// windows → alignment (fixed or estimated online) → features → consumer. The same streaming stages
/// and per-window featurizer as calibration, with no allocation per chunk or window after
/// construction (the aligned samples of a window are computed only if the consumer reads them).
/// </summary>
/// <remarks>
/// When every feature step reads only the aligned variances (log-variance) and the consumer does
/// not read aligned samples, windows are computed incrementally (<see cref="SlidingVariances"/>):
/// each sample is aligned once as it arrives and running sums give each window's variances, so a
/// window costs in proportion to the stride. An alignment estimated from the stream
/// (<see cref="OnlineAlignment.FromStream"/>, <see cref="OnlineAlignment.Adaptive"/>) is followed
/// there too when the window is a whole number of strides: running sums of outer products give each
/// window's second moments, observed in the same order as whole windows would be, and the window is
/// aligned again only when R^-1/2 changes. The features then
/// equal the batch path's (<see cref="FeaturePipeline.Transform(PipelineDefinition, FittedPipeline, EpochSet)"/>
/// on the same windows) to rounding, about 1e-13 relative, instead of bit for bit; whatever the
/// chunking, the stream gives bit-identical features. Otherwise every window is cut whole and
/// featurized as in calibration (<see cref="ComputesIncrementally"/> says which).
/// </remarks>
public sealed class OnlineFrontEnd : IWindowSink, IWindowVarianceSink
{
    private readonly StreamingSignalProcessor _processor;
    private readonly WindowFeaturizer? _featurizer;
    private readonly WindowContext _context;
    private readonly double[] _features;
    private readonly WindowSampleObserver? _observer;
    private readonly double[]? _fixedWhitening;
    private readonly OnlineEuclideanAlignment? _online;
    private readonly OnlineStandardization? _standardization;
    private readonly IOnlineWindowConsumer _consumer;
    private readonly int _length;
    private readonly SlidingVariances? _variances;
    private readonly SlidingWindower? _windower;

    /// <summary>Builds the front end for a source stream.</summary>
    /// <param name="definition">The pipeline (as stored in the model file).</param>
    /// <param name="fitted">Its fitted state (filter designs, alignments, feature fits).</param>
    /// <param name="source">The stream's channels and rate.</param>
    /// <param name="subject">Who is being decoded (selects the fitted alignment).</param>
    /// <param name="alignment">How to align.</param>
    /// <param name="consumer">Receives each window.</param>
    /// <param name="priorWeightWindows">
    /// <see cref="OnlineAlignment.Adaptive"/>: how many windows the fitted alignment counts for in the
    /// running mean (default: the warm-up count). Larger values adapt more slowly.
    /// </param>
    /// <param name="readsAlignedSamples">Whether the consumer reads <see cref="OnlineWindow.AlignedSamples"/> (then every window is cut whole).</param>
    /// <param name="alignmentWorker">With an alignment estimated from the stream: the thread its R^-1/2 recomputations run on (the same windows, bit for bit), or null to compute them on the caller's thread.</param>
    /// <exception cref="ChannelMismatchException">When the stream lacks a pipeline channel.</exception>
    /// <exception cref="EegDann.Dsp.Resampling.UnsupportedSampleRateException">When the stream's rate does not convert exactly to the pipeline's, or its Nyquist frequency is at or below the pipeline's highest band edge (<see cref="SignalPipeline.CheckSourceRate"/>).</exception>
    /// <exception cref="InvalidOperationException">When <see cref="OnlineAlignment.Fixed"/> is asked and the subject has no fitted alignment.</exception>
    public OnlineFrontEnd(PipelineDefinition definition, FittedPipeline fitted, SignalInfo source, string subject, OnlineAlignment alignment, IOnlineWindowConsumer consumer, double? priorWeightWindows = null, bool readsAlignedSamples = false, AlignmentWorker? alignmentWorker = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fitted);
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(source);
        var signal = SignalPipeline.Create(definition, fitted);
        _consumer = consumer;
        _length = signal.WindowSamples;
        int c = signal.Info.ChannelCount, bands = signal.BandCount;
        if (definition.FeatureSteps.Any())
        {
            // Standardised per subject, a subject without statistics in the model gets them from its stream.
            if (fitted.SubjectStandardization is { } perSubject && perSubject.For(subject) is null)
            {
                _featurizer = FeaturePipeline.CreateFeaturizer(definition, fitted, standardize: false);
                _standardization = new OnlineStandardization(_featurizer.FeatureCount, perSubject.WarmupWindows, perSubject.UpdateEveryWindows);
            }
            else
            {
                _featurizer = FeaturePipeline.CreateFeaturizer(definition, fitted, standardize: true, subject);
            }

            _context = _featurizer.Context;
            _features = new double[_featurizer.FeatureCount];
        }
        else
        {
            _context = new WindowContext(c, _length, signal.Info.SampleRateHz);
            _features = [];
        }

        if (fitted.Alignment is { } fittedAlignment)
        {
            var prior = fittedAlignment.For(subject);
            switch (alignment)
            {
                case OnlineAlignment.Fixed:
                    _fixedWhitening = FeaturePipeline.Whitening(fitted, subject);
                    break;
                case OnlineAlignment.Adaptive:
                    _online = new OnlineEuclideanAlignment(subject, c, fittedAlignment.Options, prior, priorWeightWindows, bands, alignmentWorker);
                    break;
                default:
                    _online = new OnlineEuclideanAlignment(subject, c, fittedAlignment.Options, bands: bands, worker: alignmentWorker);
                    break;
            }
        }

        if (_online != null)
        {
            _observer = new WindowSampleObserver(_online, _length);
        }

        ISegmenter segmenter;
        if (_featurizer is { ReadsOnlyVariances: true } && !readsAlignedSamples)
        {
            _variances = _online is null
                ? new SlidingVariances(bands, c, _length, signal.StrideSamples, _fixedWhitening ?? [], this)
                : new SlidingVariances(bands, c, _length, signal.StrideSamples, _online, this);
            segmenter = _variances;
        }
        else
        {
            _windower = new SlidingWindower(signal.WindowInfo.ChannelCount, _length, signal.StrideSamples, this);
            segmenter = _windower;
        }

        signal.CheckSourceRate(source.SampleRateHz);
        _processor = signal.CreateProcessor(source, [segmenter]);
        Rate = definition.Signal.RateFrom(source.SampleRateHz);
    }

    /// <summary>
    /// Source indices (<see cref="NextInputIndex"/>, chunks) to pipeline indices (<see cref="NextOutputIndex"/>,
    /// windows) and back: the mapping this front end resamples with (<see cref="SignalRequirements.RateFrom"/>).
    /// </summary>
    public SampleRateMapping Rate { get; }

    /// <summary>The online alignment estimate, or null (fixed or no alignment).</summary>
    public OnlineEuclideanAlignment? Alignment => _online;

    /// <summary>
    /// The feature standardisation estimated from the stream (a pipeline that standardises per subject,
    /// and a subject the model has no statistics for), or null. Windows are not ready until it is warm.
    /// </summary>
    public OnlineStandardization? Standardization => _standardization;

    /// <summary>Whether windows are computed incrementally from running sums (see the remarks) rather than cut whole.</summary>
    public bool ComputesIncrementally => _variances != null;

    /// <summary>Windows handed to the consumer since construction.</summary>
    public long WindowCount => _variances?.WindowCount ?? _windower!.WindowCount;

    /// <summary>Stream index (source rate) the next chunk must start at.</summary>
    public long NextInputIndex => _processor.NextInputIndex;

    /// <summary>
    /// Stream index (pipeline rate) one past the last filtered sample: every window ending at or
    /// before it has reached the consumer (or spans a restart). With a resampler this lags the
    /// input by half the anti-aliasing filter (10 samples at the lower rate).
    /// </summary>
    public long NextOutputIndex => _processor.History.EndIndex;

    /// <summary>Feature names (empty without feature steps).</summary>
    public IReadOnlyList<string> FeatureNames => _featurizer?.FeatureNames ?? [];

    /// <summary>Processes a chunk; windows completed by it reach the consumer before this returns.</summary>
    /// <remarks>
    /// The filters are recursive: NaN or infinity in the input would stay in their state for good.
    /// Check chunks before pushing them (the daemon's fail-safe does), or <see cref="Restart"/> after a bad one.
    /// </remarks>
    /// <exception cref="StreamDiscontinuityException">On a gap or overlap in sample indices (then call <see cref="Restart"/>).</exception>
    public void Push(SampleChunk chunk) => _processor.Push(chunk);

    /// <summary>Processes samples (sample-major, source channel order, µV).</summary>
    public void Push(ReadOnlySpan<float> samples, int sampleCount, long firstSampleIndex) => _processor.Push(samples, sampleCount, firstSampleIndex);

    /// <summary>Starts over after a gap: filter state and history are cleared (the alignment estimate is kept).</summary>
    public void Restart(long firstSampleIndex)
    {
        _processor.Restart(firstSampleIndex);
        _observer?.Restart();
    }

    /// <summary>
    /// Replays a whole recording through the live path and returns every window's features
    /// (unlabeled rows): e.g. a new subject's unlabeled training data, computed exactly as the
    /// decoder will compute them. Use a definition with a coarser <c>windows.stride_s</c> to get fewer rows.
    /// With <see cref="OnlineAlignment.FromStream"/> the warm-up windows are included (aligned with the identity).
    /// </summary>
    public static FeatureTable Replay(PipelineDefinition definition, FittedPipeline fitted, Recording recording, OnlineAlignment alignment = OnlineAlignment.Fixed, string? recordingName = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var collector = new FeatureCollector(recording.Metadata.Subject, recordingName ?? SignalPipeline.RecordingName(recording));
        var frontEnd = new OnlineFrontEnd(definition, fitted, recording.Info, recording.Metadata.Subject, alignment, collector);
        frontEnd.PushWhole(recording);
        return new FeatureTable(frontEnd.FeatureNames, collector.Rows, collector.Values.ToArray());
    }

    /// <summary>Pushes a whole recording from its first sample, in chunks of 4096 samples (the windows and features do not depend on the chunking).</summary>
    public void PushWhole(Recording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        for (long start = 0; start < recording.SampleCount; start += WholeRecordingChunk)
        {
            Push(SampleChunk.FromChannelMajor(recording.Samples, start, (int)Math.Min(WholeRecordingChunk, recording.SampleCount - start)));
        }
    }

    /// <summary>Samples per chunk of <see cref="PushWhole"/>.</summary>
    private const int WholeRecordingChunk = 4096;

    private sealed class FeatureCollector(string subject, string recording) : IOnlineWindowConsumer
    {
        public List<EpochInfo> Rows { get; } = [];

        public List<double> Values { get; } = [];

        public void OnWindow(in OnlineWindow window)
        {
            Rows.Add(new EpochInfo(subject, recording, window.StartSample, null));
            foreach (var v in window.Features)
            {
                Values.Add(v);
            }
        }
    }

    /// <inheritdoc />
    void IWindowVarianceSink.OnWindow(long startSample, ReadOnlySpan<double> variances)
    {
        _featurizer!.LoadVariances(variances);
        _featurizer.Extract(_features);
        bool standardized = StandardizeFromStream();
        _consumer.OnWindow(new OnlineWindow(startSample, _length, _features, _context, alignmentReady: _online?.IsWarm ?? true, standardized));
    }

    /// <summary>With a standardisation estimated from the stream, the window joins it and is standardised; whether the estimate is warm (true without one).</summary>
    private bool StandardizeFromStream()
    {
        if (_standardization is null)
        {
            return true;
        }

        _standardization.Observe(_features);
        _standardization.Apply(_features);
        return _standardization.IsWarm;
    }

    /// <inheritdoc />
    void IWindowSink.OnWindow(long startSample, ReadOnlySpan<double> window)
    {
        bool ready = true, standardized = true;
        if (_featurizer != null)
        {
            // Every band of a filter bank is loaded, observed and aligned on its own.
            _featurizer.Load(window);
            if (_online != null)
            {
                _observer!.Observe(window, startSample);
                _featurizer.Align(_online.Whitening);
                ready = _online.IsWarm;
            }
            else if (_fixedWhitening != null)
            {
                _featurizer.Align(_fixedWhitening);
            }

            _featurizer.Extract(_features);
            standardized = StandardizeFromStream();
        }
        else
        {
            _context.Load(window);
            if (_online != null)
            {
                _observer!.Observe(window, startSample);
                _context.Align(_online.Whitening);
                ready = _online.IsWarm;
            }
            else if (_fixedWhitening != null)
            {
                _context.Align(_fixedWhitening);
            }
        }

        _consumer.OnWindow(new OnlineWindow(startSample, _length, _features, _context, ready, standardized));
    }
}
