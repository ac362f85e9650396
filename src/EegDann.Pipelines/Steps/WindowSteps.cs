using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Segmentation;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;

namespace EegDann.Pipelines.Steps;

/// <summary>Which windows estimate a subject's alignment reference in batch work.</summary>
public enum AlignmentReference
{
    /// <summary>The paradigm's cue-locked epochs (labels unused), as He &amp; Wu: the default.</summary>
    Epochs,

    /// <summary>The sliding windows over the whole recording (what the live stream sees).</summary>
    Windows,
}

/// <summary>
/// <c>euclidean_alignment</c>: whitens each window by its subject's mean covariance (one block per
/// band after a filter bank). Fitted per subject on that subject's own unlabeled epochs or windows —
/// sources and target alike; labels are never read.
/// </summary>
/// <param name="Options">Shrinkage and the online estimate's warm-up and update period.</param>
/// <param name="Reference">Which windows estimate the reference in batch work.</param>
public sealed record EuclideanAlignmentSpec(EuclideanAlignmentOptions Options, AlignmentReference Reference) : StepSpec(EuclideanAlignmentSpec.Info.Name), IStepType<EuclideanAlignmentSpec>
{
    /// <summary>Samples pushed at a time when streaming a recording for <see cref="FitOnWindows"/> (the result does not depend on it).</summary>
    private const int ChunkSamples = 4096;

    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("euclidean_alignment", "Euclidean alignment (He & Wu 2019), per subject", ["shrinkage", "warmup_windows", "update_every_windows", "reference"]);

    /// <inheritdoc />
    public static EuclideanAlignmentSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(
            new EuclideanAlignmentOptions
            {
                Shrinkage = parameters.Number("shrinkage", 0.0, min: 0, max: 0.999),
                WarmupWindows = parameters.Integer("warmup_windows", 32, min: 1),
                UpdateEveryWindows = parameters.Integer("update_every_windows", 16, min: 1),
            },
            parameters.Text("reference", "epochs", ["epochs", "windows"]) == "windows" ? AlignmentReference.Windows : AlignmentReference.Epochs);
    }

    /// <inheritdoc />
    public override StepKind Kind => StepKind.Alignment;

    /// <inheritdoc />
    public override bool AtMostOne => true;

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new()
    {
        ["shrinkage"] = Options.Shrinkage,
        ["warmup_windows"] = Options.WarmupWindows,
        ["update_every_windows"] = Options.UpdateEveryWindows,
        ["reference"] = Reference == AlignmentReference.Windows ? "windows" : "epochs",
    };

    /// <summary>Fits one subject's alignment from its epochs or windows as <paramref name="signal"/> cuts them (labels are ignored).</summary>
    /// <param name="signal">The signal path that cut the epochs (channels, bands, window length).</param>
    /// <param name="unlabeled">The subject's epochs or windows; the fit is named by its subject.</param>
    /// <exception cref="ArgumentException">When the epochs are not shaped as <paramref name="signal"/> makes them, or the reference cannot be inverted.</exception>
    public AlignmentFit Fit(SignalPipeline signal, EpochSet unlabeled)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(unlabeled);
        if (unlabeled.Count > 0 && (unlabeled.Info.ChannelCount != signal.WindowInfo.ChannelCount || unlabeled.SampleCount != signal.EpochSamples))
        {
            throw new ArgumentException($"epochs of {unlabeled.Subject} are {unlabeled.Info.ChannelCount} × {unlabeled.SampleCount}, the pipeline makes {signal.WindowInfo.ChannelCount} × {signal.EpochSamples}.", nameof(unlabeled));
        }

        return EuclideanAlignment.Fit(unlabeled.Subject, unlabeled.Epochs.Select(e => e.Data).ToArray(), signal.Info.ChannelCount, Options, signal.BandCount);
    }

    /// <summary>
    /// The step's fitted state for several subjects: each subject's fit from <paramref name="alignments"/>
    /// when given there, else from that subject's epochs here (all of its sets together, labels unused).
    /// </summary>
    /// <param name="signal">The signal path that cut the epochs.</param>
    /// <param name="sets">Epoch sets, possibly several per subject.</param>
    /// <param name="alignments">Fits made elsewhere (e.g. on sliding windows), by subject; null for none.</param>
    /// <exception cref="ArgumentException">When the step aligns on sliding windows and a subject's fit is not given, or a fit fails.</exception>
    public FittedAlignment FitSubjects(SignalPipeline signal, IEnumerable<EpochSet> sets, IReadOnlyDictionary<string, AlignmentFit>? alignments = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(sets);
        var subjects = new Dictionary<string, AlignmentFit>(StringComparer.Ordinal);
        foreach (var set in sets.GroupBy(s => s.Subject, StringComparer.Ordinal))
        {
            if (alignments != null && alignments.TryGetValue(set.Key, out var given))
            {
                subjects[set.Key] = given;
            }
            else if (Reference == AlignmentReference.Windows)
            {
                throw new ArgumentException($"pipeline '{signal.Definition.Name}' aligns on sliding windows (reference 'windows'): pass the alignment of subject '{set.Key}' from {nameof(FitOnWindows)}.", nameof(alignments));
            }
            else
            {
                subjects[set.Key] = Fit(signal, EpochSet.Concat(set.ToArray()));
            }
        }

        return new FittedAlignment(Options, subjects);
    }

    /// <summary>
    /// Fits one subject's alignment on every sliding window of its recordings (the <c>windows</c>
    /// reference: what the live stream sees), streaming them through <paramref name="signal"/>
    /// without keeping the windows.
    /// </summary>
    /// <exception cref="FitDataException">When the recordings are shorter than one window.</exception>
    /// <exception cref="ArgumentException">When they do not fit the signal path (<see cref="ChannelMismatchException"/>, <see cref="Dsp.Resampling.UnsupportedSampleRateException"/>).</exception>
    public AlignmentFit FitOnWindows(SignalPipeline signal, string subject, IReadOnlyList<Recording> recordings)
    {
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(recordings);
        var sink = new SecondMomentSink(signal.Info.ChannelCount, signal.BandCount, signal.WindowSamples, signal.Info.SampleRateHz);
        foreach (var recording in recordings)
        {
            var processor = signal.CreateProcessor(recording.Info, [new SlidingWindower(signal.WindowInfo.ChannelCount, signal.WindowSamples, signal.StrideSamples, sink)]);
            for (long start = 0; start < recording.SampleCount; start += ChunkSamples)
            {
                int count = (int)Math.Min(ChunkSamples, recording.SampleCount - start);
                processor.Push(SampleChunk.FromChannelMajor(recording.Samples, start, count));
            }

            processor.Complete();
        }

        if (sink.Count == 0)
        {
            throw new FitDataException($"the recordings of subject '{subject}' are shorter than one window.");
        }

        var mean = sink.Sum.Select(v => v / sink.Count).ToArray();
        return EuclideanAlignment.FromReference(subject, mean, sink.Count, signal.Info.ChannelCount, Options, signal.BandCount);
    }

    /// <summary>Sums each window's second moment, band by band: the windows' mean is the reference.</summary>
    private sealed class SecondMomentSink(int channels, int bands, int samples, double rate) : IWindowSink
    {
        private readonly WindowContext _context = new(channels, samples, rate);

        // (bands, channels, channels)
        public double[] Sum { get; } = new double[bands * channels * channels];

        public long Count { get; private set; }

        public void OnWindow(long startSample, ReadOnlySpan<double> window)
        {
            int block = channels * channels, size = channels * samples;
            for (int b = 0; b < bands; b++)
            {
                _context.Load(window.Slice(b * size, size));
                var moment = _context.SecondMoment;
                for (int i = 0; i < block; i++)
                {
                    Sum[(b * block) + i] += moment[i];
                }
            }

            Count++;
        }
    }
}

/// <summary>
/// The fitted state of <c>euclidean_alignment</c>: the step's options (what an online estimate from
/// the stream needs) and each subject's fit (one block per band after a filter bank), by subject.
/// </summary>
/// <param name="Options">The step's options.</param>
/// <param name="Subjects">Each subject's fit, by subject (sources and target alike, fitted without labels).</param>
/// <remarks>
/// Written as <c>{"alignment":{options},"subject_alignments":{subject:fit,…}}</c>; model files of
/// format 1 carry those two members at the top level of the fitted pipeline, where
/// <see cref="FittedPipelineFormat1"/> puts them (<see cref="OptionsJson"/>, <see cref="SubjectsJson"/>, <see cref="ReadMembers"/>).
/// </remarks>
[JsonConverter(typeof(FittedStateConverter<FittedAlignment>))]
public sealed record FittedAlignment(EuclideanAlignmentOptions Options, IReadOnlyDictionary<string, AlignmentFit> Subjects) : IFittedState<FittedAlignment>
{
    /// <summary>The member holding the step's options.</summary>
    public const string OptionsProperty = "alignment";

    /// <summary>The member holding each subject's fit.</summary>
    public const string SubjectsProperty = "subject_alignments";

    /// <inheritdoc />
    public static FittedAlignment ReadJson(JsonElement json, JsonSerializerOptions options)
    {
        var alignmentOptions = FittedJson.Required<EuclideanAlignmentOptions>(json, OptionsProperty, $"'{EuclideanAlignmentSpec.Info.Name}'", options);
        return new(alignmentOptions, ReadSubjects(json.TryGetProperty(SubjectsProperty, out var value) ? value : null, options));
    }

    /// <summary>Reads the state from its two members where format 1 keeps them, apart (<see cref="OptionsProperty"/>, <see cref="SubjectsProperty"/>).</summary>
    /// <param name="alignmentOptions">The <see cref="OptionsProperty"/> member.</param>
    /// <param name="subjects">The <see cref="SubjectsProperty"/> member, or null when absent.</param>
    /// <param name="options">The model file's JSON options.</param>
    internal static FittedAlignment ReadMembers(JsonElement alignmentOptions, JsonElement? subjects, JsonSerializerOptions options) =>
        new(alignmentOptions.Deserialize<EuclideanAlignmentOptions>(options) ?? throw new JsonException($"the fitted state of '{EuclideanAlignmentSpec.Info.Name}' has a null '{OptionsProperty}'."),
            ReadSubjects(subjects, options));

    private static IReadOnlyDictionary<string, AlignmentFit> ReadSubjects(JsonElement? subjects, JsonSerializerOptions options) =>
        subjects is { ValueKind: not JsonValueKind.Null } value
            ? value.Deserialize<IReadOnlyDictionary<string, AlignmentFit>>(options) ?? new Dictionary<string, AlignmentFit>()
            : new Dictionary<string, AlignmentFit>();

    /// <inheritdoc />
    public void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WritePropertyName(OptionsProperty);
        JsonSerializer.Serialize(writer, Options, options);
        writer.WritePropertyName(SubjectsProperty);
        JsonSerializer.Serialize(writer, Subjects, options);
        writer.WriteEndObject();
    }

    /// <summary>The <see cref="OptionsProperty"/> member alone, as <see cref="WriteJson"/> writes it.</summary>
    internal JsonElement OptionsJson(JsonSerializerOptions options) => JsonSerializer.SerializeToElement(Options, options);

    /// <summary>The <see cref="SubjectsProperty"/> member alone, as <see cref="WriteJson"/> writes it.</summary>
    internal JsonElement SubjectsJson(JsonSerializerOptions options) => JsonSerializer.SerializeToElement(Subjects, options);

    /// <summary>The fit of <paramref name="subject"/>, or null when it has none.</summary>
    public AlignmentFit? For(string subject) => Subjects.TryGetValue(subject, out var fit) ? fit : null;

    /// <summary>The same state with <paramref name="fit"/>'s subject added (or replaced).</summary>
    public FittedAlignment With(AlignmentFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return this with { Subjects = new Dictionary<string, AlignmentFit>(Subjects, StringComparer.Ordinal) { [fit.Subject] = fit } };
    }

    /// <summary>The same state with only <paramref name="subject"/>'s fit (what a model file for that subject keeps).</summary>
    public FittedAlignment Only(string subject) =>
        this with { Subjects = Subjects.Where(p => p.Key == subject).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) };
}

/// <summary><c>standardize</c>: z-score of every feature, fitted on the source's features.</summary>
public sealed record StandardizeSpec() : StepSpec(StandardizeSpec.Info.Name), IStepType<StandardizeSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("standardize", "z-score of every feature (fitted on the source)", []);

    /// <inheritdoc />
    public static StandardizeSpec Parse(JsonSection parameters)
    {
        return new();
    }

    /// <inheritdoc />
    public override StepKind Kind => StepKind.Standardize;

    /// <inheritdoc />
    public override bool AtMostOne => true;

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => [];

    /// <summary>Fits the per-feature mean and standard deviation on the source's (unstandardised) feature rows.</summary>
    /// <returns>The step's fitted state.</returns>
    /// <param name="source">The labeled source's features, one row per epoch.</param>
    /// <exception cref="ArgumentException">When there are no rows.</exception>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "A step's fit is an instance member of the step, like every other step's; this one has no parameters yet.")]
    public FittedStandardization Fit(FeatureTable source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(StandardizationFit.Fit(source.Values, source.FeatureCount));
    }
}

/// <summary>The fitted state of <c>standardize</c>: each feature's mean and scale on the source.</summary>
/// <param name="Statistics">The per-feature mean and scale.</param>
/// <remarks>Written as the statistics' object (<c>{"mean":[…],"scale":[…]}</c>, format 1's <c>standardization</c>).</remarks>
[JsonConverter(typeof(FittedStateConverter<FittedStandardization>))]
public sealed record FittedStandardization(StandardizationFit Statistics) : IFittedState<FittedStandardization>
{
    /// <inheritdoc />
    public static FittedStandardization ReadJson(JsonElement json, JsonSerializerOptions options) =>
        new(json.ValueKind == JsonValueKind.Object
            ? json.Deserialize<StandardizationFit>(options) ?? throw new JsonException($"the fitted state of '{StandardizeSpec.Info.Name}' is empty.")
            : throw new JsonException($"the fitted state of '{StandardizeSpec.Info.Name}' must be an object."));

    /// <inheritdoc />
    public void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options) => JsonSerializer.Serialize(writer, Statistics, options);
}
