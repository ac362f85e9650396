using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Segmentation;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Calibration;

/// <summary>A recording or pipeline that cannot be used for calibration or evaluation; the message names the file and the problem.</summary>
public sealed class CalibrationInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One subject's data as calibration and evaluation see it: the paradigm's cue-locked epochs (with
/// their labels, which are read only where the subject is a labeled source or for scoring), the
/// sliding windows of a subject without cues, and the subject's Euclidean alignment — fitted on
/// the subject's own unlabeled epochs or windows, never on labels.
/// </summary>
public sealed class SubjectData
{
    internal SubjectData(string subject, IReadOnlyList<string> recordings, EpochSet epochs, EpochSet? windows, AlignmentFit alignment, IReadOnlyList<string> skipped, string? person = null, IReadOnlyList<Recording>? sources = null)
    {
        Sources = sources ?? [];
        Subject = subject;
        Person = person ?? subject;
        Recordings = recordings;
        Epochs = epochs;
        Windows = windows;
        Alignment = alignment;
        Skipped = skipped;
    }

    /// <summary>
    /// The subject's key: the person's id for the target runs (e.g. <c>S001</c>), or the person's id
    /// with the runs for a group of source-only runs (<c>S001+R03+R07+R11</c>, its own alignment).
    /// </summary>
    public string Subject { get; }

    /// <summary>The person (the recordings' subject metadata). No group of a target's person is ever a source of that target.</summary>
    public string Person { get; }

    /// <summary>Whether this is a group of source-only runs (never a target).</summary>
    public bool IsSourceOnly => !string.Equals(Subject, Person, StringComparison.Ordinal);

    /// <summary>The recordings themselves, in the order of <see cref="Recordings"/> (for cutting crops on demand).</summary>
    internal IReadOnlyList<Recording> Sources { get; }

    /// <summary>The recordings' names, in the order given.</summary>
    public IReadOnlyList<string> Recordings { get; }

    /// <summary>Cue-locked epochs in recording order (empty when the recordings carry no cue the paradigm maps).</summary>
    public EpochSet Epochs { get; }

    /// <summary>Unlabeled sliding windows (only for a subject without cue epochs: the unlabeled data of a live-style target).</summary>
    public EpochSet? Windows { get; }

    /// <summary>The subject's Euclidean alignment (one block per band), fitted without labels.</summary>
    public AlignmentFit Alignment { get; }

    /// <summary>Cues whose epoch could not be cut, one line each.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Whether the subject has labeled (cue-locked) epochs.</summary>
    public bool HasCues => Epochs.Count > 0;

    /// <summary>Epochs per class name.</summary>
    public IReadOnlyDictionary<string, int> ClassCounts =>
        Epochs.Epochs.GroupBy(e => e.Info.Label ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>
/// A pipeline made ready for cross-subject work: its signal path, the two variants every method
/// runs on (with and without Euclidean alignment), and the subjects' data cut from their recordings.
/// </summary>
public sealed class CalibrationData
{
    /// <summary>The alignment used by <c>ea_</c> methods when the pipeline itself has none (He &amp; Wu's: no shrinkage, reference from the epochs).</summary>
    public static EuclideanAlignmentSpec DefaultAlignment { get; } = new(new EuclideanAlignmentOptions(), AlignmentReference.Epochs);

    private readonly Lazy<CalibrationData> _oneBand;

    private CalibrationData(PipelineDefinition definition, SignalPipeline signal, IReadOnlyDictionary<string, SubjectData> subjects, IReadOnlyList<(string Name, Recording Recording)> recordings, double windowStrideSeconds)
    {
        _oneBand = new Lazy<CalibrationData>(() => definition.IsOneBand ? this : Create(definition.WithOneBand(), recordings, windowStrideSeconds));
        Definition = definition;
        Signal = signal;
        Aligned = definition.WithAlignment(DefaultAlignment);
        Unaligned = definition.WithoutAlignment();
        AlignedSignal = SignalPipeline.Create(Aligned, signal.FittedSteps);
        UnalignedSignal = SignalPipeline.Create(Unaligned, signal.FittedSteps);
        Subjects = subjects;
    }

    /// <summary>The pipeline as given.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>
    /// The same recordings through the pipeline's one-band 8–30 Hz variant
    /// (<see cref="PipelineDefinition.WithOneBand"/>): the signal path of the classic one-band
    /// baselines, cut and aligned per subject on first use; this data itself when the pipeline is one 8–30 Hz band.
    /// </summary>
    public CalibrationData OneBand => _oneBand.Value;

    /// <summary>Its signal path.</summary>
    public SignalPipeline Signal { get; }

    /// <summary>The pipeline with Euclidean alignment (its own step, else <see cref="DefaultAlignment"/>): what <c>ea_</c> methods run.</summary>
    public PipelineDefinition Aligned { get; }

    /// <summary>The pipeline without alignment: what the other methods run.</summary>
    public PipelineDefinition Unaligned { get; }

    /// <summary>The signal path of <see cref="Aligned"/> (the same filters).</summary>
    public SignalPipeline AlignedSignal { get; }

    /// <summary>The signal path of <see cref="Unaligned"/>.</summary>
    public SignalPipeline UnalignedSignal { get; }

    /// <summary>The subjects' data, by subject.</summary>
    public IReadOnlyDictionary<string, SubjectData> Subjects { get; }

    /// <summary>Class names in network order.</summary>
    public IReadOnlyList<string> ClassNames => Definition.ClassNames;

    /// <summary>The groups that may be sources for a target person: every group of another person.</summary>
    public IReadOnlyList<string> SourcesFor(string targetPerson, IEnumerable<string> candidates) =>
        candidates.Where(c => !string.Equals(Subjects[c].Person, targetPerson, StringComparison.Ordinal)).ToArray();

    /// <summary>The definition of a method's variant.</summary>
    public PipelineDefinition DefinitionFor(bool aligned) => aligned ? Aligned : Unaligned;

    /// <summary>The signal path of a method's variant.</summary>
    public SignalPipeline SignalFor(bool aligned) => aligned ? AlignedSignal : UnalignedSignal;

    /// <summary>
    /// Cuts every subject's epochs out of its recordings through the pipeline and fits each
    /// subject's alignment (from its epochs, or from sliding windows when the pipeline's alignment
    /// says so or the subject has no cues). Recordings are grouped by their subject metadata.
    /// </summary>
    /// <param name="definition">The pipeline.</param>
    /// <param name="recordings">Recordings with the names to report them by (e.g. file names).</param>
    /// <param name="windowStrideSeconds">Stride of the unlabeled windows kept for subjects without cues, s.</param>
    /// <param name="cancellationToken">Stops between recordings.</param>
    /// <exception cref="CalibrationInputException">When a recording does not fit the pipeline (missing channels, a rate that cannot be converted, non-finite samples) or a subject's alignment cannot be fitted; the message names the file.</exception>
    public static CalibrationData Create(PipelineDefinition definition, IReadOnlyList<(string Name, Recording Recording)> recordings, double windowStrideSeconds = 0.5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(recordings);
        if (!definition.Model.Extractor.ReadsFeatureVectors)
        {
            throw new CalibrationInputException($"{definition.Source}: calibration trains extractors on feature vectors; pipeline '{definition.Name}' uses '{definition.Model.Extractor.Name}'.");
        }

        var signal = SignalPipeline.Create(definition);
        // The alignment step by its own type, not through a common window-step interface: it is fitted
        // per subject (on its unlabeled epochs, or on every window of its recordings) before any feature
        // exists, and with the default options when the pipeline has none (for the ea_ methods). The other
        // fitted window step, standardisation, takes the source's feature rows of a fold instead.
        var alignmentSpec = definition.Alignment ?? DefaultAlignment;
        var subjects = new Dictionary<string, SubjectData>(StringComparer.Ordinal);
        // A person's target runs form the group named by the person; runs that are only source runs
        // (e.g. executed movement beside imagery) form a group of their own, with its own alignment.
        var paradigm = definition.Paradigm;
        string GroupKey((string Name, Recording Recording) r)
        {
            string person = r.Recording.Metadata.Subject;
            string? run = r.Recording.Metadata.Run;
            return paradigm.IsTargetRun(run) || !paradigm.IsSourceRun(run)
                ? person
                : person + "+" + string.Join("+", paradigm.SourceRuns.Where(x => !paradigm.IsTargetRun(x)));
        }

        foreach (var group in recordings.GroupBy(GroupKey, StringComparer.Ordinal))
        {
            string person = group.First().Recording.Metadata.Subject;
            var sets = new List<EpochSet>();
            var skipped = new List<string>();
            foreach (var (name, recording) in group)
            {
                cancellationToken.ThrowIfCancellationRequested();
                CheckFinite(name, recording);
                try
                {
                    var cut = signal.ExtractEpochs(recording, Path.GetFileNameWithoutExtension(name));
                    sets.Add(cut.Epochs);
                    skipped.AddRange(cut.Skipped);
                }
                catch (Exception e) when (InputProblems.IsDataProblem(e))
                {
                    throw new CalibrationInputException($"{name}: {e.Message}", e);
                }
            }

            var epochs = EpochSet.Concat(sets);
            if (!string.Equals(group.Key, person, StringComparison.Ordinal))
            {
                // A group of source-only runs is a subject of its own for alignment and features.
                epochs = new EpochSet(group.Key, epochs.Info, epochs.Epochs.Select(e => new Epoch(e.Info with { Subject = group.Key }, e.ChannelCount, e.SampleCount, e.Data)).ToArray());
            }

            EpochSet? windows = null;
            AlignmentFit alignment;
            try
            {
                bool fromWindows = alignmentSpec.Reference == AlignmentReference.Windows || epochs.Count == 0;
                if (epochs.Count == 0)
                {
                    int stride = Math.Max(1, (int)Math.Round(windowStrideSeconds * signal.Info.SampleRateHz));
                    windows = EpochSet.Concat(group.Select(r => signal.ExtractWindows(r.Recording, Path.GetFileNameWithoutExtension(r.Name), stride)).ToArray());
                }

                // A pipeline without alignment is aligned with the default options (for the ea_ methods).
                alignment = fromWindows
                    ? alignmentSpec.FitOnWindows(signal, group.Key, group.Select(r => r.Recording).ToArray())
                    : alignmentSpec.Fit(signal, epochs);
            }
            catch (Exception e) when (InputProblems.IsDataProblem(e))
            {
                throw new CalibrationInputException($"{string.Join(", ", group.Select(r => r.Name))}: cannot align subject {group.Key}: {e.Message}", e);
            }

            subjects[group.Key] = new SubjectData(group.Key, group.Select(r => r.Name).ToArray(), epochs, windows, alignment, skipped, person, group.Select(r => r.Recording).ToArray());
        }

        return new CalibrationData(definition, signal, subjects, recordings, windowStrideSeconds);
    }

    /// <summary>
    /// The stride of cropped training's crops, s: 0.5 s, fixed in advance (not tuned on accuracy) —
    /// a 4.1-s EEGMMIDB cue gives 5 crops of 2 s (starts 0, 0.5, …, 2 s after the cue, the pipeline's
    /// 0.5–2.5 s epoch among them), so training sees five times the rows for the same number of
    /// optimizer steps; a finer stride adds mostly overlapping, correlated crops at a higher cost.
    /// </summary>
    public const double CropStrideSeconds = 0.5;

    /// <summary>
    /// A subject's crops for cropped training (<see cref="SignalPipeline.CropRequests"/> at
    /// <see cref="CropStrideSeconds"/>): cut from its recordings through the pipeline on each call
    /// (callers cache the features, not the samples), labeled with their cue's class, keyed by the
    /// subject like its epochs. Labels are read only where the subject is a labeled source.
    /// </summary>
    /// <exception cref="CalibrationInputException">When a cue the paradigm maps lasts less than one window (the recordings carry no cue periods), naming the file and the cue.</exception>
    public EpochSet Crops(SubjectData subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        int stride = (int)SampleTime.ToSamples(CropStrideSeconds, Signal.Info.SampleRateHz);
        var sets = new List<EpochSet>();
        var tooShort = new List<string>();
        for (int i = 0; i < subject.Sources.Count; i++)
        {
            string name = subject.Recordings[i];
            try
            {
                var cut = Signal.ExtractCrops(subject.Sources[i], Path.GetFileNameWithoutExtension(name), stride);
                sets.Add(cut.Epochs);
                tooShort.AddRange(cut.Skipped);
            }
            catch (Exception e) when (InputProblems.IsDataProblem(e))
            {
                throw new CalibrationInputException($"{name}: {e.Message}", e);
            }
        }

        if (tooShort.Count > 0)
        {
            throw new CalibrationInputException($"cropped training cuts windows inside each cue's period; {string.Join("; ", tooShort.Take(3))}{(tooShort.Count > 3 ? $" (and {tooShort.Count - 3} more)" : "")}.");
        }

        var crops = EpochSet.Concat(sets);
        return subject.IsSourceOnly
            ? new EpochSet(subject.Subject, crops.Info, crops.Epochs.Select(e => new Epoch(e.Info with { Subject = subject.Subject }, e.ChannelCount, e.SampleCount, e.Data)).ToArray())
            : crops;
    }

    private static void CheckFinite(string name, Recording recording)
    {
        if (InputProblems.FirstNonFinite(recording) is { } problem)
        {
            throw new CalibrationInputException($"{name}: {problem}");
        }
    }
}
