using System.Text.Json;
using System.Text.Json.Serialization;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Filters;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines;

/// <summary>
/// Everything a pipeline learned from data, apart from its options: the fitted signal steps it ran (filter designs),
/// each subject's Euclidean alignment, CSP filters, the tangent-space reference, the feature
/// standardisation. Immutable; serialisable to JSON so a model file can carry it.
/// </summary>
/// <remarks>
/// What is fitted on what: alignments on each subject's own unlabeled epochs (sources and the
/// target alike); CSP on the labeled source; the tangent-space reference and the standardisation
/// on the source only. At decode time the target's alignment is applied (or estimated online).
/// </remarks>
public sealed record FittedPipeline
{
    /// <summary>The serialisation format version.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Format version of this document.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The pipeline's name.</summary>
    public required string PipelineName { get; init; }

    /// <summary>Channels in pipeline order.</summary>
    public required IReadOnlyList<string> Channels { get; init; }

    /// <summary>Pipeline sample rate, Hz.</summary>
    public required double SampleRateHz { get; init; }

    /// <summary>Epoch (and window) length, samples.</summary>
    public required int EpochSamples { get; init; }

    /// <summary>Class names in network order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>
    /// The fitted state of each step of the signal path, in step order (<see cref="Definitions.PipelineDefinition.SignalPath"/>:
    /// each filter's design, then the filter bank's band designs); each step checks its own when the path is built.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<FittedSignalStep> SignalSteps { get; init; } = [];

    /// <summary>
    /// The filter steps' states as model files of format 1 group them (<c>signal_designs</c>: one per filter or
    /// re-referencing step, each written by <see cref="FittedFilter"/> itself).
    /// </summary>
    [JsonInclude]
    [JsonRequired]
    [JsonPropertyName("signal_designs")]
    private IReadOnlyList<FittedFilter> SignalDesignsJson
    {
        get => SignalSteps.OfType<FittedFilter>().ToArray();
        init => SignalSteps = [.. value ?? throw new JsonException("'signal_designs' is null."), .. SignalSteps.OfType<FittedFilterBank>()];
    }

    /// <summary>The filter bank's state as model files of format 1 store it (<c>filter_bank_designs</c>, written by <see cref="FittedFilterBank"/> itself, left out without a filter bank).</summary>
    [JsonInclude]
    [JsonPropertyName("filter_bank_designs")]
    private FittedFilterBank? FilterBankDesignsJson
    {
        get => SignalSteps.OfType<FittedFilterBank>().FirstOrDefault();
        init => SignalSteps = [.. SignalSteps.OfType<FittedFilter>(), .. value is null ? [] : new[] { value }];
    }

    /// <summary>Bands every window carries (1 without a filter bank).</summary>
    [JsonIgnore]
    public int BandCount => FittedSignalStep.BandsOf(SignalSteps);

    /// <summary>What format 1 writes as <c>subject_alignments</c> without alignment.</summary>
    private static readonly JsonElement NoSubjects = JsonDocument.Parse("{}").RootElement.Clone();

    private JsonElement? _alignmentOptionsRead;
    private JsonElement? _subjectAlignmentsRead;

    /// <summary>
    /// The alignment step's fitted state (its options and the fit of each subject seen, sources and
    /// target, one block per band after a filter bank), or null when the pipeline has no alignment.
    /// </summary>
    /// <remarks>
    /// The state writes and reads its own JSON object (<see cref="FittedAlignment"/>); format 1 keeps that
    /// object's two members at the top level, <c>alignment</c> (left out without alignment) and
    /// <c>subject_alignments</c> (<c>{}</c> without alignment), which the two private properties below
    /// take from the state's JSON and give back to it.
    /// </remarks>
    [JsonIgnore]
    public FittedAlignment? Alignment { get; init; }

    /// <summary>The alignment's <c>alignment</c> member as format 1 stores it.</summary>
    [JsonInclude]
    [JsonPropertyName(FittedAlignment.OptionsProperty)]
    private JsonElement? AlignmentOptionsJson
    {
        get => Alignment?.OptionsJson(JsonOptions);
        init => _alignmentOptionsRead = value?.ValueKind == JsonValueKind.Null ? null : value;
    }

    /// <summary>The alignment's <c>subject_alignments</c> member as format 1 stores it.</summary>
    [JsonInclude]
    [JsonPropertyName(FittedAlignment.SubjectsProperty)]
    private JsonElement SubjectAlignmentsJson
    {
        get => Alignment?.SubjectsJson(JsonOptions) ?? NoSubjects;
        init => _subjectAlignmentsRead = value;
    }

    /// <summary>Fitted state of each feature step, in order; after a filter bank band by band (every step of band 1, then of band 2…).</summary>
    public required IReadOnlyList<FeatureStepFit> Features { get; init; }

    /// <summary>Feature standardisation, or null.</summary>
    public FittedStandardization? Standardization { get; init; }

    /// <summary>
    /// Every step's fitted state behind one interface, in pipeline order: the signal steps, the alignment
    /// (when there is one), the feature steps, the standardisation (when there is one).
    /// </summary>
    /// <remarks>A view of the parts above; format 1 groups them under its own keys.</remarks>
    [JsonIgnore]
    public IReadOnlyList<IFittedState> States =>
        [.. SignalSteps, .. Alignment is null ? [] : new IFittedState[] { Alignment }, .. Features, .. Standardization is null ? [] : new IFittedState[] { Standardization }];

    /// <summary>Names of the features, in order (empty for a pipeline without feature steps).</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>The same fit with another subject's alignment added (or replaced).</summary>
    /// <exception cref="InvalidOperationException">When the pipeline has no alignment.</exception>
    public FittedPipeline WithSubjectAlignment(AlignmentFit alignment)
    {
        ArgumentNullException.ThrowIfNull(alignment);
        return this with { Alignment = (Alignment ?? throw new InvalidOperationException($"pipeline '{PipelineName}' has no alignment; subject '{alignment.Subject}' cannot be added.")).With(alignment) };
    }

    /// <summary>The document just read with its alignment read by <see cref="FittedAlignment.ReadMembers"/> from format 1's two members (none without <c>alignment</c>).</summary>
    private FittedPipeline WithAlignmentRead()
    {
        if (_alignmentOptionsRead is not { } alignment)
        {
            return this with { Alignment = null, _alignmentOptionsRead = null, _subjectAlignmentsRead = null };
        }

        return this with { Alignment = FittedAlignment.ReadMembers(alignment, _subjectAlignmentsRead, JsonOptions), _alignmentOptionsRead = null, _subjectAlignmentsRead = null };
    }

    /// <summary>The JSON options of the document (snake_case, enums as strings, doubles round-trip exactly).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new FeatureStepFitConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a document written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="InvalidDataException">When it is not a valid fitted pipeline; the message names <paramref name="source"/>.</exception>
    public static FittedPipeline FromJson(string json, string source)
    {
        FittedPipeline? fitted;
        try
        {
            fitted = JsonSerializer.Deserialize<FittedPipeline>(json, JsonOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{source}: the fitted pipeline is not valid: {e.Message}", e);
        }

        if (fitted is null)
        {
            throw new InvalidDataException($"{source}: the fitted pipeline is empty.");
        }

        try
        {
            fitted = fitted.WithAlignmentRead();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{source}: the fitted pipeline is not valid: {e.Message}", e);
        }

        if (fitted.Format != CurrentFormat)
        {
            throw new InvalidDataException($"{source}: fitted pipeline format {fitted.Format} is not supported (this build reads {CurrentFormat}).");
        }

        return fitted;
    }
}
