using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Dsp.Features;
using EegDann.Dsp.Resampling;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Definitions;

/// <summary>
/// A pipeline as data (<c>pipelines/*.json</c>), validated: what signal it needs, how trials are
/// cut, the ordered steps, and the network and training settings. Options only — fitted values
/// live in <see cref="FittedPipeline"/>.
/// </summary>
public sealed record PipelineDefinition
{
    /// <summary>Short name, e.g. <c>mi-logvar</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What the pipeline does, for people.</summary>
    public required string Description { get; init; }

    /// <summary>Papers and datasets to cite.</summary>
    public required IReadOnlyList<string> Citations { get; init; }

    /// <summary>Channels and rate the pipeline works in.</summary>
    public required SignalRequirements Signal { get; init; }

    /// <summary>Events, classes and the epoch window.</summary>
    public required Paradigm Paradigm { get; init; }

    /// <summary>Sliding windows for streaming.</summary>
    public required WindowSettings Windows { get; init; }

    /// <summary>The steps, in order (signal, then the filter bank, then alignment, then features, then standardisation).</summary>
    public required IReadOnlyList<StepSpec> Steps { get; init; }

    /// <summary>Network settings.</summary>
    public required ModelSettings Model { get; init; }

    /// <summary>Training settings.</summary>
    public required TrainingSettings Training { get; init; }

    /// <summary>The file the definition was read from (or another source name).</summary>
    public required string Source { get; init; }

    /// <summary>The JSON text as read: what a model file stores.</summary>
    public required string Json { get; init; }

    /// <summary>The filter and re-referencing steps, in order.</summary>
    public IEnumerable<SignalStepSpec> SignalSteps => Steps.OfType<SignalStepSpec>();

    /// <summary>Every step of the signal path (before windowing), in order: the filter and re-referencing steps, then the filter bank.</summary>
    public IEnumerable<ISignalStep> SignalPath => Steps.OfType<ISignalStep>();

    /// <summary>The filter bank, or null.</summary>
    /// <remarks>
    /// About the <c>filter_bank</c> step type itself (its order, for <see cref="WithOneBand"/>); what any
    /// band-splitting step answers is <see cref="SplitBands"/>.
    /// </remarks>
    public FilterBankSpec? FilterBank => Steps.OfType<FilterBankSpec>().FirstOrDefault();

    /// <summary>The bands the signal path splits every channel into (<see cref="ISignalStep.SplitBands"/> of the step that splits, the filter bank), in band order; empty for one band.</summary>
    public IReadOnlyList<FrequencyBand> SplitBands => SignalPath.Select(s => s.SplitBands).FirstOrDefault(b => b.Count > 0) ?? [];

    /// <summary>Bands every window carries: the <see cref="SplitBands"/>, else 1.</summary>
    public int BandCount => Math.Max(1, SplitBands.Count);

    /// <summary>Each band's tag in names (e.g. <c>8_12</c>: windows' channels <c>fb8_12_C3</c>, features <c>fb8_12_logvar_C3</c>), or null for one band.</summary>
    public IReadOnlyList<string>? BandTags => SplitBands is { Count: > 0 } bands ? bands.Select(b => b.Tag).ToArray() : null;

    /// <summary>Band <paramref name="band"/> for messages (<c>band 8-12 Hz</c>), or null for a pipeline of one band.</summary>
    public string? DescribeBand(int band) => SplitBands is { Count: > 0 } bands ? $"band {bands[band].LowHz:0.###}-{bands[band].HighHz:0.###} Hz" : null;

    /// <summary>Whether the pipeline aligns windows: whether it has a step of kind <see cref="StepKind.Alignment"/>.</summary>
    public bool Aligns => Steps.Any(s => s.Kind == StepKind.Alignment);

    /// <summary>The alignment step, or null.</summary>
    /// <remarks>
    /// About the <c>euclidean_alignment</c> step type itself: its callers fit it (<see cref="EuclideanAlignmentSpec.FitSubjects"/>)
    /// or read its options and reference; whether a pipeline aligns at all is <see cref="Aligns"/>.
    /// </remarks>
    public EuclideanAlignmentSpec? Alignment => Steps.OfType<EuclideanAlignmentSpec>().FirstOrDefault();

    /// <summary>The feature steps, in order.</summary>
    public IEnumerable<IFeatureStep> FeatureSteps => Steps.OfType<IFeatureStep>();

    /// <summary>The standardisation step, or null when features are not standardised.</summary>
    /// <remarks>About the <c>standardize</c> step type itself: its callers fit it (<see cref="StandardizeSpec.Fit"/>).</remarks>
    public StandardizeSpec? Standardization => Steps.OfType<StandardizeSpec>().FirstOrDefault();

    /// <summary>Epoch length in samples at the pipeline's rate.</summary>
    public int EpochSamples => (int)Dsp.Segmentation.SampleTime.ToSamples(Paradigm.EpochLengthSeconds, Signal.SampleRateHz);

    /// <summary>Class names in a fixed order (sorted), as networks number them: every class of <c>events</c> and of <c>run_events</c>.</summary>
    public IReadOnlyList<string> ClassNames => Paradigm.ClassNames;

    /// <summary>
    /// The same pipeline without any per-subject alignment, for the unaligned baselines: without its alignment
    /// steps (every step of kind <see cref="StepKind.Alignment"/>) and without a standardisation per subject
    /// (<c>standardize</c> with <c>per</c> <c>subject</c>, which aligns each subject's feature statistics), named
    /// <c>NAME-no-ea</c>, its JSON edited to match (so a model file carries what actually ran).
    /// </summary>
    public PipelineDefinition WithoutAlignment()
    {
        var document = ParseJson();
        var removed = Steps.Where(s => s.Kind == StepKind.Alignment || s is StandardizeSpec { Per: StandardizationScope.Subject }).ToArray();
        RemoveSteps(document, removed);
        document["name"] = Name + "-no-ea";
        return this with
        {
            Steps = Steps.Except(removed).ToArray(),
            Name = Name + "-no-ea",
            Json = document.ToJsonString(IndentedJson),
        };
    }

    /// <summary>
    /// The same pipeline with Euclidean alignment in front of its features (if it had none), named
    /// <c>NAME-ea</c>, its JSON edited to match.
    /// </summary>
    /// <remarks>
    /// About the <c>euclidean_alignment</c> step type itself (the <c>ea_</c> methods add
    /// <c>CalibrationData.DefaultAlignment</c>); a pipeline that already aligns, with any alignment step, is kept as it is.
    /// </remarks>
    public PipelineDefinition WithAlignment(EuclideanAlignmentSpec alignment)
    {
        ArgumentNullException.ThrowIfNull(alignment);
        if (Aligns)
        {
            return this;
        }

        var steps = Steps.Where(s => s.Kind < StepKind.Alignment).Append<StepSpec>(alignment).Concat(Steps.Where(s => s.Kind > StepKind.Alignment)).ToArray();
        var document = ParseJson();
        var jsonSteps = (JsonArray)document["steps"]!;
        int signalSteps = Steps.Count(s => s.Kind < StepKind.Alignment);
        jsonSteps.Insert(signalSteps, alignment.ToJson());
        document["name"] = Name + "-ea";
        return this with { Steps = steps, Name = Name + "-ea", Json = document.ToJsonString(IndentedJson) };
    }

    /// <summary>The low edge of the one-band signal path of the classic baselines, Hz.</summary>
    public const double OneBandLowHz = 8;

    /// <summary>The high edge of the one-band signal path of the classic baselines, Hz.</summary>
    public const double OneBandHighHz = 30;

    /// <summary>Whether the signal path is already one 8–30 Hz band (no split into bands, a single 8–30 Hz band-pass).</summary>
    /// <remarks>
    /// This and <see cref="WithOneBand"/> are about the <c>bandpass</c> step type itself (the classic baselines
    /// run one, and it takes the filter bank's order); only the split into bands is asked of every step.
    /// </remarks>
    public bool IsOneBand =>
        SplitBands.Count == 0 && SignalSteps.OfType<BandPassSpec>().ToArray() is [{ LowHz: OneBandLowHz, HighHz: OneBandHighHz }];

    /// <summary>
    /// The same pipeline on one 8–30 Hz band (the signal path of the classic one-band baselines,
    /// e.g. EA + CSP + LDA and EA + tangent space + logistic regression, as MOABB and pyRiemann run
    /// them): a filter bank (any step that splits into bands) becomes one causal Butterworth band-pass
    /// 8–30 Hz of the bank's order, a band-pass becomes 8–30 Hz of its order, and one of order 4 is added when there is neither.
    /// Named <c>NAME-8-30</c>, its JSON edited to match; itself when it is already one 8–30 Hz band.
    /// </summary>
    public PipelineDefinition WithOneBand()
    {
        if (IsOneBand)
        {
            return this;
        }

        int order = FilterBank?.Order ?? SignalSteps.OfType<BandPassSpec>().Select(b => b.Order).FirstOrDefault(4);
        var band = new BandPassSpec(OneBandLowHz, OneBandHighHz, order);
        static bool Replaced(StepSpec s) => s is BandPassSpec or ISignalStep { SplitBands.Count: > 0 };
        var removed = Steps.Where(Replaced).ToArray();
        var steps = Steps.Where(s => !Replaced(s)).ToList();
        int signalCount = steps.Count(s => s.Kind == StepKind.Signal);
        steps.Insert(signalCount, band);
        var document = ParseJson();
        RemoveSteps(document, removed);
        ((JsonArray)document["steps"]!).Insert(signalCount, band.ToJson());
        document["name"] = Name + "-8-30";
        return this with { Steps = steps, Name = Name + "-8-30", Json = document.ToJsonString(IndentedJson) };
    }

    /// <summary>The same pipeline whose source subjects contribute <paramref name="sourceRuns"/> (an ablation of <c>source_runs</c>); its JSON edited to match.</summary>
    public PipelineDefinition WithSourceRuns(IReadOnlyList<string> sourceRuns)
    {
        ArgumentNullException.ThrowIfNull(sourceRuns);
        var document = ParseJson();
        var paradigm = document["paradigm"] as JsonObject ?? new JsonObject();
        document["paradigm"] = paradigm;
        paradigm["source_runs"] = new JsonArray(sourceRuns.Select(r => (JsonNode)r).ToArray());
        paradigm["target_runs"] = new JsonArray(Paradigm.TargetRuns.Select(r => (JsonNode)r).ToArray());
        return this with
        {
            Paradigm = Paradigm with { SourceRuns = sourceRuns.ToArray() },
            Json = document.ToJsonString(IndentedJson),
        };
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>Removes from <paramref name="document"/>'s steps every step of the types of <paramref name="removed"/>.</summary>
    private static void RemoveSteps(JsonObject document, IReadOnlyList<StepSpec> removed)
    {
        var types = removed.Select(s => s.Type).ToHashSet(StringComparer.Ordinal);
        var steps = (JsonArray)document["steps"]!;
        foreach (var step in steps.Where(s => s?["type"]?.GetValue<string>() is { } type && types.Contains(type)).ToArray())
        {
            steps.Remove(step);
        }
    }

    private JsonObject ParseJson() =>
        JsonNode.Parse(Json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })?.AsObject()
        ?? throw new InvalidOperationException($"{Source}: the pipeline's JSON is empty.");
}

/// <summary>The channels and rate a pipeline works in; recordings are mapped onto them by name and resampled when their rate differs.</summary>
/// <param name="SampleRateHz">Pipeline rate, Hz.</param>
/// <param name="Channels">Channel names in pipeline order.</param>
public sealed record SignalRequirements(double SampleRateHz, IReadOnlyList<string> Channels)
{
    /// <inheritdoc />
    public bool Equals(SignalRequirements? other) => other is not null && SampleRateHz.Equals(other.SampleRateHz) && Channels.SequenceEqual(other.Channels, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SampleRateHz, Channels.Count);

    /// <summary>
    /// Source indices to pipeline indices for a source at <paramref name="sourceRateHz"/>: the one
    /// mapping the streaming path resamples with (<see cref="EegDann.Pipelines.Signal.SignalPipeline.CreateProcessor"/>
    /// converts the rate exactly when it is not the identity, <see cref="OnlineFrontEnd.Rate"/> gives
    /// it), so a caller relating the two kinds of index never keeps a copy of its own.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="sourceRateHz"/> is not a positive number.</exception>
    public SampleRateMapping RateFrom(double sourceRateHz) => new(sourceRateHz, SampleRateHz);
}

/// <summary>How trials are defined.</summary>
/// <param name="Dataset">The dataset the paradigm was written for (informational), or null.</param>
/// <param name="Runs">Runs of the dataset that hold this paradigm (e.g. R04, R08, R12), possibly empty.</param>
/// <param name="Events">Event label → class name (e.g. T1 → left).</param>
/// <param name="EpochStartSeconds">Epoch start after the cue onset, s (may be negative).</param>
/// <param name="EpochLengthSeconds">Epoch length, s.</param>
public sealed record Paradigm(string? Dataset, IReadOnlyList<string> Runs, IReadOnlyDictionary<string, string> Events, double EpochStartSeconds, double EpochLengthSeconds)
{
    /// <summary>
    /// Runs a labeled source subject contributes (<c>source_runs</c>; default <see cref="Runs"/>), e.g.
    /// EEGMMIDB's executed-movement runs R03/R07/R11 beside the imagery runs R04/R08/R12. A source
    /// subject's runs that are not target runs form a group of their own (their own alignment and domain).
    /// </summary>
    public IReadOnlyList<string> SourceRuns { get; init; } = Runs;

    /// <summary>Runs a target subject is decoded and scored on (<c>target_runs</c>; default <see cref="Runs"/>). A target's other runs are never used.</summary>
    public IReadOnlyList<string> TargetRuns { get; init; } = Runs;

    /// <summary>
    /// Per-run event maps (<c>run_events</c>; keys compared without case): a recording of one of these
    /// runs uses its map instead of <see cref="Events"/>. Empty by default.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> RunEvents { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>The event map of a recording of <paramref name="run"/>: its <c>run_events</c> entry, else <see cref="Events"/>.</summary>
    public IReadOnlyDictionary<string, string> EventsFor(string? run) =>
        run != null && RunEvents.TryGetValue(run, out var map) ? map : Events;

    /// <summary>Class names in a fixed order (sorted): every class of <see cref="Events"/> and <see cref="RunEvents"/>.</summary>
    public IReadOnlyList<string> ClassNames => Events.Values.Concat(RunEvents.Values.SelectMany(m => m.Values)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The event maps for people: <c>T1 → left, T2 → right</c>, then each run's own map.</summary>
    public string DescribeEvents() =>
        string.Join(", ", Events.Select(e => $"{e.Key} → {e.Value}"))
        + string.Concat(RunEvents.Select(r => $"; in {r.Key}: {string.Join(", ", r.Value.Select(e => $"{e.Key} → {e.Value}"))}"));

    /// <summary>Every run the paradigm reads (source and target runs); empty: any run.</summary>
    public IReadOnlyList<string> AllRuns => Runs.Concat(SourceRuns).Concat(TargetRuns).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Whether <paramref name="run"/> is a target run (true for every run when none are named, or for a recording without a run).</summary>
    public bool IsTargetRun(string? run) => TargetRuns.Count == 0 || run is null || TargetRuns.Contains(run, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="run"/> is a source run (as <see cref="IsTargetRun"/>).</summary>
    public bool IsSourceRun(string? run) => SourceRuns.Count == 0 || run is null || SourceRuns.Contains(run, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Sliding windows for streaming decoding.</summary>
/// <param name="LengthSeconds">Window length, s (equal to the epoch length: the network sees the same shape).</param>
/// <param name="StrideSeconds">Time between window starts, s.</param>
public sealed record WindowSettings(double LengthSeconds, double StrideSeconds);

/// <summary>Network settings (mapped onto EegDann.Model's extractor and network specifications).</summary>
/// <param name="Extractor">The feature extractor (<see cref="ExtractorKind.Mlp"/> on feature vectors, the only one: <see cref="ExtractorKind.All"/>).</param>
/// <param name="HiddenSizes">MLP hidden widths.</param>
/// <param name="Dropout">Dropout probability in [0, 1).</param>
/// <param name="DomainHiddenSizes">Hidden widths of the domain head.</param>
/// <param name="Standardization"><c>z_score</c> or <c>none</c>: input standardisation inside the network.</param>
public sealed record ModelSettings(
    ExtractorKind Extractor,
    IReadOnlyList<int> HiddenSizes,
    double Dropout,
    IReadOnlyList<int> DomainHiddenSizes,
    string Standardization);

/// <summary>Training settings (mapped onto EegDann.Model's training options).</summary>
/// <param name="Method"><c>source_only</c>, <c>reweighting</c>, <c>dann</c>, <c>dann_semi</c>, <c>dann_multi_source</c>, <c>dann_im</c>, <c>source_only_im</c> or <c>cdan</c>.</param>
/// <param name="Seed">Seed of everything random.</param>
/// <param name="Epochs">Passes over the source.</param>
/// <param name="BatchSize">Source samples per step (and as many target samples).</param>
/// <param name="LearningRate">μ0.</param>
/// <param name="LearningRateAlpha">Annealing α.</param>
/// <param name="LearningRateBeta">Annealing β.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="LambdaScale">λ's limit.</param>
/// <param name="LambdaGamma">λ schedule steepness γ.</param>
/// <param name="TargetLabelWeight">Semi-supervised: weight of the labeled target's label loss.</param>
/// <param name="ReweightingClip">Reweighting: the largest sample weight.</param>
/// <param name="ReweightingC">Reweighting: inverse L2 strength of the domain classifier.</param>
/// <param name="Ensemble">Networks trained with different seeds and averaged (their logits) into the model, ≥ 1.</param>
/// <param name="Crops">Cropped training: the networks train on the 2-s windows inside every cue, every 0.5 s (method suffix <c>_crops</c>).</param>
public sealed record TrainingSettings(
    string Method,
    int Seed,
    int Epochs,
    int BatchSize,
    double LearningRate,
    double LearningRateAlpha,
    double LearningRateBeta,
    double Momentum,
    double WeightDecay,
    double LambdaScale,
    double LambdaGamma,
    double TargetLabelWeight,
    double ReweightingClip,
    double ReweightingC,
    int Ensemble = 1,
    bool Crops = false);
