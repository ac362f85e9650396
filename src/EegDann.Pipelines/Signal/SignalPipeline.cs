using EegDann.Core;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Signal;

/// <summary>Epochs cut from one recording, and the cues that could not be used (with why).</summary>
/// <param name="Epochs">The epochs (one subject).</param>
/// <param name="Skipped">One line per cue whose epoch falls outside the recording.</param>
public sealed record RecordingEpochs(EpochSet Epochs, IReadOnlyList<string> Skipped);

/// <summary>
/// A pipeline definition's signal path made runnable: channel mapping, resampling, the signal
/// steps with their designs, and the segmentation (cue-locked epochs, sliding windows). Batch
/// extraction pushes recordings through the same <see cref="StreamingSignalProcessor"/> the live
/// decoder uses.
/// </summary>
public sealed class SignalPipeline
{
    private readonly ISignalStep[] _steps;
    private readonly string _highestBand;

    private SignalPipeline(PipelineDefinition definition, IReadOnlyList<FittedSignalStep> fitted)
    {
        Definition = definition;
        _steps = definition.SignalPath.ToArray();
        FittedSteps = fitted;
        Info = new SignalInfo(definition.Signal.SampleRateHz, definition.Signal.Channels);
        BandCount = FittedSignalStep.BandsOf(fitted);
        WindowInfo = definition.BandTags is { } tags
            ? new SignalInfo(Info.SampleRateHz, tags.SelectMany(tag => Info.Channels.Select(c => $"fb{tag}_{c}")).ToArray())
            : Info;
        EpochSamples = definition.EpochSamples;
        EpochOffsetSamples = SampleTime.ToSamples(definition.Paradigm.EpochStartSeconds, Info.SampleRateHz);
        WindowSamples = (int)SampleTime.ToSamples(definition.Windows.LengthSeconds, Info.SampleRateHz);
        StrideSamples = (int)SampleTime.ToSamples(definition.Windows.StrideSeconds, Info.SampleRateHz);
        (HighestBandEdgeHz, _highestBand) = HighestEdge(definition);
    }

    /// <summary>The definition.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>Channels and rate of the pipeline (after mapping and resampling).</summary>
    public SignalInfo Info { get; }

    /// <summary>The fitted state of each step of the signal path (<see cref="PipelineDefinition.SignalPath"/>), in order: what a model file carries.</summary>
    public IReadOnlyList<FittedSignalStep> FittedSteps { get; }

    /// <summary>Bands in every epoch and window (1 without a filter bank).</summary>
    public int BandCount { get; }

    /// <summary>
    /// The channels of epochs and windows: <see cref="Info"/>'s, or after a filter bank one copy
    /// per band, band-major, named <c>fb8_12_C3</c>.
    /// </summary>
    public SignalInfo WindowInfo { get; }

    /// <summary>Epoch length, samples.</summary>
    public int EpochSamples { get; }

    /// <summary>Epoch start relative to the cue, samples: round(start_s · fs).</summary>
    public long EpochOffsetSamples { get; }

    /// <summary>Sliding-window length, samples.</summary>
    public int WindowSamples { get; }

    /// <summary>Samples between sliding-window starts.</summary>
    public int StrideSamples { get; }

    /// <summary>
    /// The highest edge of the pipeline's filter bands, Hz: the upper edge of a band-pass or filter-bank
    /// band, a low-pass's or high-pass's cut-off (a notch removes a band, it passes none), or 0
    /// without filters. A source must carry it: see <see cref="CheckSourceRate"/>.
    /// </summary>
    public double HighestBandEdgeHz { get; }

    /// <summary>Compiles a definition, fitting its signal path at the pipeline's rate (designing its filters).</summary>
    public static SignalPipeline Create(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new SignalPipeline(definition, definition.SignalPath.Select(s => s.Fit(definition.Signal.SampleRateHz)).ToArray());
    }

    /// <summary>Compiles a definition with the fitted signal steps a model file (or another compiled path) carries, so decoding runs exactly what calibration ran.</summary>
    /// <param name="definition">The pipeline.</param>
    /// <param name="fitted">The fitted state of each step of <see cref="PipelineDefinition.SignalPath"/>, in order; each step checks its own.</param>
    /// <exception cref="ArgumentException">When the fitted steps do not match the signal path (their count, or a step's own check), every problem listed.</exception>
    public static SignalPipeline Create(PipelineDefinition definition, IReadOnlyList<FittedSignalStep> fitted)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fitted);
        var steps = definition.SignalPath.ToArray();
        if (fitted.Count != steps.Length)
        {
            throw new ArgumentException($"{fitted.Count} fitted signal steps for the {steps.Length} steps of the signal path ({string.Join(", ", steps.Select(s => s.Type))}).", nameof(fitted));
        }

        double rate = definition.Signal.SampleRateHz;
        var problems = steps.SelectMany((step, i) => step.Check(fitted[i], rate).Select(p => p.Format($"signal step {i + 1} '{step.Type}'"))).ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException($"the fitted signal path does not fit the pipeline: {string.Join("; ", problems)}.", nameof(fitted));
        }

        return new SignalPipeline(definition, fitted);
    }

    /// <summary>Compiles a definition with the fitted signal steps of its fitted state (a model file's), so decoding runs exactly what calibration ran.</summary>
    /// <exception cref="ArgumentException">When the fitted steps do not match the definition's signal path.</exception>
    public static SignalPipeline Create(PipelineDefinition definition, FittedPipeline fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        return Create(definition, fitted.SignalSteps);
    }

    /// <summary>
    /// Builds the streaming path for a source with its own channels and rate: channels are picked
    /// by name, the rate converted when it differs, then the signal steps run, then
    /// <paramref name="segmenters"/> cut segments.
    /// </summary>
    /// <exception cref="ChannelMismatchException">When the source lacks a pipeline channel (named in the message).</exception>
    /// <exception cref="ArgumentException">When the source's rate cannot be converted to the pipeline's.</exception>
    public StreamingSignalProcessor CreateProcessor(SignalInfo source, IReadOnlyList<ISegmenter> segmenters)
    {
        ArgumentNullException.ThrowIfNull(source);
        var selector = new ChannelSelector(source, Info.Channels);
        // The rate converted is the mapping's: callers relating source and pipeline indices read the same one.
        var rate = Definition.Signal.RateFrom(source.SampleRateHz);
        var resampler = rate.IsIdentity
            ? null
            : new PolyphaseResampler(ResamplerDesign.For(rate.SourceRateHz, rate.PipelineRateHz), Info.ChannelCount, StreamingSignalProcessor.BlockSize);
        var path = new SignalPathBuilder(Info.ChannelCount, StreamingSignalProcessor.MaxDeliveredBlock(resampler));
        for (int i = 0; i < _steps.Length; i++)
        {
            // Checked in Create: every step holds its own kind of fitted state.
            _steps[i].AddTo(path, FittedSteps[i]);
        }

        return new StreamingSignalProcessor(selector, resampler, path.Stages, segmenters, filterBank: path.Bank);
    }

    /// <summary>
    /// Checks that a source at <paramref name="sourceRateHz"/> can feed the pipeline: its Nyquist
    /// frequency must lie above <see cref="HighestBandEdgeHz"/> (else the band the pipeline reads is
    /// partly or wholly missing from the signal), and its rate must convert exactly to the pipeline's.
    /// </summary>
    /// <exception cref="UnsupportedSampleRateException">When it cannot, naming the rate and the band.</exception>
    public void CheckSourceRate(double sourceRateHz)
    {
        if (sourceRateHz / 2 <= HighestBandEdgeHz)
        {
            throw new UnsupportedSampleRateException(sourceRateHz, Info.SampleRateHz, $"a {sourceRateHz} Hz source cannot feed pipeline '{Definition.Name}': its Nyquist frequency {sourceRateHz / 2} Hz is at or below the {_highestBand} ({HighestBandEdgeHz} Hz).");
        }

        if (!sourceRateHz.Equals(Info.SampleRateHz))
        {
            _ = ResamplerDesign.For(sourceRateHz, Info.SampleRateHz);
        }
    }

    /// <summary>The name EegDann gives a recording: its source file's name without extension, else subject + run.</summary>
    public static string RecordingName(Recording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var meta = recording.Metadata;
        if (!string.IsNullOrEmpty(meta.SourceFile))
        {
            return Path.GetFileNameWithoutExtension(meta.SourceFile);
        }

        return meta.Subject + (meta.Run ?? string.Empty);
    }

    /// <summary>
    /// The epochs the paradigm defines in a recording: for every event mapped to a class (by the
    /// recording run's own <c>run_events</c> map when it has one, else by <c>events</c>), the
    /// window starting at round(onset · fs) + round(start_s · fs) (pipeline rate), epoch-length long.
    /// </summary>
    /// <param name="recording">The recording (its own rate and channel order).</param>
    /// <param name="recordingName">Name for the rows (default: <see cref="RecordingName"/>).</param>
    /// <param name="skipped">Receives a line for each cue whose epoch falls outside the recording.</param>
    public IReadOnlyList<EpochRequest> EpochRequests(Recording recording, string? recordingName, List<string>? skipped = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        string name = recordingName ?? RecordingName(recording);
        double fs = Info.SampleRateHz;
        long length = (long)Math.Ceiling(recording.SampleCount * fs / recording.Info.SampleRateHz);
        var requests = new List<EpochRequest>();
        var events = Definition.Paradigm.EventsFor(recording.Metadata.Run);
        foreach (var e in recording.Events)
        {
            if (!events.TryGetValue(e.Label, out var label))
            {
                continue;
            }

            long start = SampleTime.ToSamples(e.OnsetSeconds, fs) + EpochOffsetSamples;
            if (start < 0 || start + EpochSamples > length)
            {
                skipped?.Add($"{name}: cue {e.Label} at {e.OnsetSeconds:0.###} s: its epoch (samples {start}..{start + EpochSamples - 1}) lies outside the recording (0..{length - 1})");
                continue;
            }

            requests.Add(new EpochRequest(start, EpochSamples, new EpochInfo(recording.Metadata.Subject, name, start, label)));
        }

        return requests;
    }

    /// <summary>
    /// The crops of cropped training in a recording: for every event mapped to a class, the windows
    /// of the pipeline's window length whose start lies in the cue period so that the window stays
    /// inside it — starts at round(onset · fs) + j · <paramref name="strideSamples"/> for j = 0, 1, …
    /// while start + window ≤ round(onset · fs) + round(duration · fs) — each labeled with the cue's
    /// class. A crop past the recording's end is left out (as an epoch would be).
    /// </summary>
    /// <param name="recording">The recording (its own rate and channel order; the events' durations give the cue periods).</param>
    /// <param name="recordingName">Name for the rows (default: <see cref="RecordingName"/>).</param>
    /// <param name="strideSamples">Samples between the starts of one cue's crops, &gt; 0.</param>
    /// <param name="tooShort">Receives a line for each mapped cue whose period is shorter than one window (it has no crop).</param>
    /// <remarks>Schirrmeister R.T. et al. Deep learning with convolutional neural networks for EEG decoding and visualization. Hum. Brain Mapp. 38(11):5391-5420, 2017 (cropped training).</remarks>
    public IReadOnlyList<EpochRequest> CropRequests(Recording recording, string? recordingName, int strideSamples, List<string>? tooShort = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strideSamples);
        string name = recordingName ?? RecordingName(recording);
        double fs = Info.SampleRateHz;
        long length = (long)Math.Ceiling(recording.SampleCount * fs / recording.Info.SampleRateHz);
        var requests = new List<EpochRequest>();
        var events = Definition.Paradigm.EventsFor(recording.Metadata.Run);
        foreach (var e in recording.Events)
        {
            if (!events.TryGetValue(e.Label, out var label))
            {
                continue;
            }

            long onset = SampleTime.ToSamples(e.OnsetSeconds, fs);
            long end = onset + SampleTime.ToSamples(e.DurationSeconds, fs);
            if (end - onset < WindowSamples)
            {
                tooShort?.Add($"{name}: cue {e.Label} at {e.OnsetSeconds:0.###} s lasts {e.DurationSeconds:0.###} s, shorter than one {WindowSamples / fs:0.###}-s window");
                continue;
            }

            for (long start = onset; start + WindowSamples <= end && start + WindowSamples <= length; start += strideSamples)
            {
                if (start >= 0)
                {
                    requests.Add(new EpochRequest(start, WindowSamples, new EpochInfo(recording.Metadata.Subject, name, start, label)));
                }
            }
        }

        return requests;
    }

    /// <summary>The crops of <see cref="CropRequests"/> cut out of a recording by streaming it through the pipeline (labeled with their cue's class).</summary>
    /// <param name="recording">The recording.</param>
    /// <param name="recordingName">Name for the rows (default: <see cref="RecordingName"/>).</param>
    /// <param name="strideSamples">Samples between the starts of one cue's crops, &gt; 0.</param>
    /// <returns>The crops, and a line for each mapped cue whose period is shorter than one window (it has no crop).</returns>
    /// <exception cref="ChannelMismatchException">When the recording lacks a pipeline channel.</exception>
    public RecordingEpochs ExtractCrops(Recording recording, string? recordingName, int strideSamples)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var skipped = new List<string>();
        var cutter = new EpochCutter(WindowInfo.ChannelCount, CropRequests(recording, recordingName, strideSamples, skipped));
        Stream(recording, [cutter], null);
        skipped.AddRange(cutter.Pending.Concat(cutter.Missed).Select(r => $"{r.Info.Recording}: crop at sample {r.StartSample} was not complete at the end of the stream"));
        return new RecordingEpochs(new EpochSet(recording.Metadata.Subject, WindowInfo, cutter.Epochs), skipped);
    }

    /// <summary>
    /// Cuts the paradigm's epochs out of a recording by streaming it through the pipeline (in
    /// chunks of <paramref name="chunkSamples"/>, the whole recording by default: the result does
    /// not depend on it).
    /// </summary>
    /// <exception cref="ChannelMismatchException">When the recording lacks a pipeline channel.</exception>
    public RecordingEpochs ExtractEpochs(Recording recording, string? recordingName = null, int? chunkSamples = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var skipped = new List<string>();
        var cutter = new EpochCutter(WindowInfo.ChannelCount, EpochRequests(recording, recordingName, skipped));
        Stream(recording, [cutter], chunkSamples);
        skipped.AddRange(cutter.Pending.Concat(cutter.Missed).Select(r => $"{r.Info.Recording}: epoch at sample {r.StartSample} was not complete at the end of the stream"));
        return new RecordingEpochs(new EpochSet(recording.Metadata.Subject, WindowInfo, cutter.Epochs), skipped);
    }

    /// <summary>Every sliding window of a recording (unlabeled), as the live decoder would see it.</summary>
    /// <param name="recording">The recording.</param>
    /// <param name="recordingName">Name for the rows (default: <see cref="RecordingName"/>).</param>
    /// <param name="strideSamples">Samples between window starts (default: the pipeline's stride); larger values give fewer windows of the same stream.</param>
    /// <remarks>All windows are held at once: a window of a 5-band, 64-channel, 2-s pipeline at 160 Hz is 0.8 MB, so one
    /// at the default stride holds about 13 MB per second of signal. A long recording wants the block-wise overload.</remarks>
    public EpochSet ExtractWindows(Recording recording, string? recordingName = null, int? strideSamples = null)
    {
        EpochSet? all = null;
        ExtractWindows(recording, int.MaxValue, block => all = block, recordingName, strideSamples);
        return all ?? new EpochSet(recording.Metadata.Subject, WindowInfo, []);
    }

    /// <summary>
    /// The windows of <see cref="ExtractWindows(Recording, string?, int?)"/>, the same ones, handed over in order in blocks of at
    /// most <paramref name="blockWindows"/> as they are cut, so that memory grows with the block and not with the recording.
    /// </summary>
    /// <param name="recording">The recording.</param>
    /// <param name="blockWindows">Windows per block, ≥ 1; the last block may be shorter, and a recording too short for a window gives none.</param>
    /// <param name="onBlock">Called with each block. The windows' arrays are reused for the next block once the call returns:
    /// copy what must outlive it.</param>
    /// <param name="recordingName">Name for the rows (default: <see cref="RecordingName"/>).</param>
    /// <param name="strideSamples">Samples between window starts (default: the pipeline's stride).</param>
    public void ExtractWindows(Recording recording, int blockWindows, Action<EpochSet> onBlock, string? recordingName = null, int? strideSamples = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(onBlock);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockWindows, 1);
        string name = recordingName ?? RecordingName(recording);
        var sink = new BlockWindowSink(recording.Metadata.Subject, name, WindowInfo, WindowSamples, blockWindows, onBlock);
        Stream(recording, [new SlidingWindower(WindowInfo.ChannelCount, WindowSamples, strideSamples ?? StrideSamples, sink)], null);
        sink.Flush();
    }

    private static (double Hz, string Band) HighestEdge(PipelineDefinition definition) =>
        definition.Steps.SelectMany(step => step.PassbandEdges).Aggregate((0.0, "no band"), (best, e) => e.Hz > best.Item1 ? e : best);

    private void Stream(Recording recording, IReadOnlyList<ISegmenter> segmenters, int? chunkSamples)
    {
        var processor = CreateProcessor(recording.Info, segmenters);
        int chunk = Math.Max(1, chunkSamples ?? 10 * StreamingSignalProcessor.BlockSize);
        for (long start = 0; start < recording.SampleCount; start += chunk)
        {
            int count = (int)Math.Min(chunk, recording.SampleCount - start);
            processor.Push(SampleChunk.FromChannelMajor(recording.Samples, start, count));
        }

        processor.Complete();
    }

    /// <summary>
    /// Collects windows and hands them over in blocks of at most <c>block</c>; once a block has been handed over, its windows'
    /// arrays carry the next block's windows (no allocation per window after the first block: a window is 0.8 MB, a large-object
    /// allocation, for the default pipeline).
    /// </summary>
    private sealed class BlockWindowSink(string subject, string recording, SignalInfo info, int samples, int block, Action<EpochSet> onBlock) : IWindowSink
    {
        private readonly Stack<double[]> spare = new();
        private List<Epoch> windows = [];

        public void OnWindow(long startSample, ReadOnlySpan<double> window)
        {
            var data = spare.Count > 0 ? spare.Pop() : new double[window.Length];
            window.CopyTo(data);
            windows.Add(new Epoch(new EpochInfo(subject, recording, startSample, null), info.ChannelCount, samples, data));
            if (windows.Count == block)
            {
                Flush();
            }
        }

        public void Flush()
        {
            if (windows.Count > 0)
            {
                var full = windows;
                windows = [];
                onBlock(new EpochSet(subject, info, full));
                foreach (var epoch in full)
                {
                    spare.Push(epoch.Data);
                }
            }
        }
    }
}
