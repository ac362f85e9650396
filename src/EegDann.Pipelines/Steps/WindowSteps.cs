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

/// <summary>Whose statistics <c>standardize</c> z-scores a row with.</summary>
public enum StandardizationScope
{
    /// <summary>The labeled source's, pooled: one mean and scale per feature (the default).</summary>
    Source,

    /// <summary>
    /// The row's own subject's: each subject's features are z-scored with the mean and scale of that
    /// subject's own unlabeled rows (sources and target alike; labels are never read), as each subject
    /// is re-centred by its own Euclidean alignment. The target's statistics come from its unlabeled
    /// calibration epochs, or are estimated from the stream when the model has none for it.
    /// </summary>
    Subject,
}

/// <summary>
/// <c>standardize</c>: z-score of every feature, with the source's pooled statistics (<c>per</c>
/// <c>source</c>, the default) or with each subject's own (<c>per</c> <c>subject</c>: per-domain
/// normalisation, as AdaBN; fitted on the subject's unlabeled rows like its alignment).
/// </summary>
/// <param name="Per">Whose statistics standardise a row.</param>
/// <param name="Reference">
/// With <c>per</c> <c>subject</c>, which rows give a subject's statistics in batch work: its cue-locked
/// epochs (labels unused; the default), or every sliding window of its recordings as the live path cuts
/// them (<c>windows</c>: the statistics a stream estimate converges to, so a live stream's features are
/// standardised as the network's training rows were).
/// </param>
/// <param name="WarmupWindows">With <c>per</c> <c>subject</c>, live, for a subject the model has no statistics for: windows of the stream before its estimate is used (no command until then).</param>
/// <param name="UpdateEveryWindows">With <c>per</c> <c>subject</c>, live, for such a subject: windows between two updates of the estimate in use.</param>
public sealed record StandardizeSpec(StandardizationScope Per = StandardizationScope.Source, int WarmupWindows = 32, int UpdateEveryWindows = 16, AlignmentReference Reference = AlignmentReference.Epochs) : StepSpec(StandardizeSpec.Info.Name), IStepType<StandardizeSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("standardize", "z-score of every feature, with the source's statistics (per 'source') or each subject's own, fitted on its unlabeled epochs or windows (per 'subject')", ["per", "warmup_windows", "update_every_windows", "reference"]);

    /// <inheritdoc />
    public static StandardizeSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(
            parameters.Text("per", "source", ["source", "subject"]) == "subject" ? StandardizationScope.Subject : StandardizationScope.Source,
            parameters.Integer("warmup_windows", 32, min: 1, max: FittedSubjectStandardization.MaxWindows),
            parameters.Integer("update_every_windows", 16, min: 1, max: FittedSubjectStandardization.MaxWindows),
            parameters.Text("reference", "epochs", ["epochs", "windows"]) == "windows" ? AlignmentReference.Windows : AlignmentReference.Epochs);
    }

    /// <inheritdoc />
    public override StepKind Kind => StepKind.Standardize;

    /// <inheritdoc />
    public override bool AtMostOne => true;

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new()
    {
        ["per"] = Per == StandardizationScope.Subject ? "subject" : "source",
        ["warmup_windows"] = WarmupWindows,
        ["update_every_windows"] = UpdateEveryWindows,
        ["reference"] = Reference == AlignmentReference.Windows ? "windows" : "epochs",
    };

    /// <summary>Fits the per-feature mean and standard deviation on the source's (unstandardised) feature rows (<c>per</c> <c>source</c>).</summary>
    /// <returns>The step's fitted state.</returns>
    /// <param name="source">The labeled source's features, one row per epoch.</param>
    /// <exception cref="ArgumentException">When there are no rows.</exception>
    /// <exception cref="InvalidOperationException">When the step standardises per subject (<see cref="FitSubjects"/>).</exception>
    public FittedStandardization Fit(FeatureTable source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Per == StandardizationScope.Source
            ? new(StandardizationFit.Fit(source.Values, source.FeatureCount))
            : throw new InvalidOperationException("a standardisation per subject is fitted on each subject's own rows (FitSubjects).");
    }

    /// <summary>Fits each subject's mean and standard deviation on that subject's own (unstandardised) rows, labels unused (<c>per</c> <c>subject</c>).</summary>
    /// <param name="tables">Each subject's rows; several tables of one subject are joined.</param>
    /// <exception cref="InvalidOperationException">When the step standardises with the source's statistics (<see cref="Fit"/>).</exception>
    /// <exception cref="FitDataException">When a subject has no rows.</exception>
    public FittedSubjectStandardization FitSubjects(IEnumerable<(string Subject, FeatureTable Rows)> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (Per != StandardizationScope.Subject)
        {
            throw new InvalidOperationException("a standardisation with the source's statistics is fitted on the source's rows (Fit).");
        }

        var subjects = new Dictionary<string, StandardizationFit>(StringComparer.Ordinal);
        foreach (var group in tables.GroupBy(t => t.Subject, StringComparer.Ordinal))
        {
            var rows = group.Count() == 1 ? group.First().Rows : FeatureTable.Concat(group.Select(t => t.Rows).ToArray());
            if (rows.RowCount == 0)
            {
                throw new FitDataException($"subject '{group.Key}' has no rows to fit its standardisation on.");
            }

            subjects[group.Key] = StandardizationFit.Fit(rows.Values, rows.FeatureCount);
        }

        return new FittedSubjectStandardization(WarmupWindows, UpdateEveryWindows, subjects);
    }

    /// <summary>
    /// One subject's statistics on every sliding window of its recordings (the <c>windows</c> reference),
    /// each window featurized by the live path (<see cref="OnlineFrontEnd"/>) with the subject's alignment
    /// in <paramref name="unstandardized"/>, without keeping the windows: the mean and standard deviation a
    /// stream estimate of the same recordings converges to.
    /// </summary>
    /// <param name="definition">The pipeline.</param>
    /// <param name="unstandardized">Its fit without standardisation, holding the subject's alignment (when it aligns).</param>
    /// <param name="subject">Whose recordings these are (selects the alignment).</param>
    /// <param name="recordings">The subject's recordings.</param>
    /// <exception cref="FitDataException">When the recordings are shorter than one window.</exception>
    public static StandardizationFit FitOnWindows(PipelineDefinition definition, FittedPipeline unstandardized, string subject, IReadOnlyList<Recording> recordings)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(unstandardized);
        ArgumentNullException.ThrowIfNull(recordings);
        if (unstandardized.SubjectStandardization is not null || unstandardized.Standardization is not null)
        {
            throw new ArgumentException("the statistics of a subject's windows are taken on features without standardisation.", nameof(unstandardized));
        }

        var sink = new StatisticsSink();
        foreach (var recording in recordings)
        {
            new OnlineFrontEnd(definition, unstandardized, recording.Info, subject, OnlineAlignment.Fixed, sink).PushWhole(recording);
        }

        return sink.Estimate is { Count: > 0 } estimate
            ? estimate.Statistics
            : throw new FitDataException($"the recordings of subject '{subject}' are shorter than one window.");
    }

    /// <summary>Every window's features join one running estimate (its standardisation in use is never needed here).</summary>
    private sealed class StatisticsSink : IOnlineWindowConsumer
    {
        public OnlineStandardization? Estimate { get; private set; }

        public void OnWindow(in OnlineWindow window)
        {
            Estimate ??= new OnlineStandardization(window.Features.Length, warmupWindows: FittedSubjectStandardization.MaxWindows, updateEveryWindows: FittedSubjectStandardization.MaxWindows);
            Estimate.Observe(window.Features);
        }
    }
}

/// <summary>
/// The fitted state of <c>standardize</c> per subject: each subject's mean and scale, fitted on its own
/// unlabeled rows (sources and target), and how the live path estimates them for a subject it has none for.
/// </summary>
/// <param name="WarmupWindows">Windows of the stream before a stream estimate is used.</param>
/// <param name="UpdateEveryWindows">Windows between two updates of a stream estimate.</param>
/// <param name="Subjects">Each subject's statistics, by subject.</param>
/// <remarks>Written as <c>{"warmup_windows":…,"update_every_windows":…,"subjects":{subject:{"mean":[…],"scale":[…]},…}}</c>, format 1's <c>subject_standardization</c>.</remarks>
[JsonConverter(typeof(FittedStateConverter<FittedSubjectStandardization>))]
public sealed record FittedSubjectStandardization(int WarmupWindows, int UpdateEveryWindows, IReadOnlyDictionary<string, StandardizationFit> Subjects) : IFittedState<FittedSubjectStandardization>
{
    /// <summary>The largest warm-up or update period, in windows (about 17 hours at the default stride), as the step's parameters allow.</summary>
    public const int MaxWindows = 1_000_000;

    /// <inheritdoc />
    public static FittedSubjectStandardization ReadJson(JsonElement json, JsonSerializerOptions options)
    {
        string what = $"the fitted state of '{StandardizeSpec.Info.Name}' per subject";
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"{what} must be an object.");
        }

        int warmup = json.TryGetProperty("warmup_windows", out var w) && w.TryGetInt32(out int wv) && wv is >= 1 and <= MaxWindows ? wv : throw new JsonException($"{what} needs 'warmup_windows' from 1 to {MaxWindows}.");
        int update = json.TryGetProperty("update_every_windows", out var u) && u.TryGetInt32(out int uv) && uv is >= 1 and <= MaxWindows ? uv : throw new JsonException($"{what} needs 'update_every_windows' from 1 to {MaxWindows}.");
        if (!json.TryGetProperty("subjects", out var s) || s.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"{what} needs 'subjects'.");
        }

        Dictionary<string, StandardizationFit> subjects;
        try
        {
            subjects = s.Deserialize<Dictionary<string, StandardizationFit>>(options) ?? [];
        }
        catch (JsonException e)
        {
            throw new JsonException($"{what}: {e.Message}", e);
        }

        foreach (var (subject, fit) in subjects)
        {
            if (fit?.Mean is null || fit.Scale is null || fit.Mean.Length != fit.Scale.Length || fit.Scale.Any(v => !(v > 0) || !double.IsFinite(v)) || fit.Mean.Any(v => !double.IsFinite(v)))
            {
                throw new JsonException($"{what}: subject '{subject}' needs finite 'mean' and positive 'scale' of one length.");
            }
        }

        return new(warmup, update, subjects);
    }

    /// <inheritdoc />
    public void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("warmup_windows", WarmupWindows);
        writer.WriteNumber("update_every_windows", UpdateEveryWindows);
        writer.WritePropertyName("subjects");
        JsonSerializer.Serialize(writer, Subjects, options);
        writer.WriteEndObject();
    }

    /// <summary>The statistics of <paramref name="subject"/>, or null when it has none.</summary>
    public StandardizationFit? For(string subject) => Subjects.TryGetValue(subject, out var fit) ? fit : null;

    /// <summary>The same state with only <paramref name="subject"/>'s statistics (what a model file for that subject keeps).</summary>
    public FittedSubjectStandardization Only(string subject) =>
        this with { Subjects = Subjects.Where(p => p.Key == subject).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) };
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
