using System.Text.Json;
using System.Text.Json.Serialization;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines;

/// <summary>
/// Format 1 of a fitted pipeline in model files, written and read: the one place that knows its JSON
/// layout. Each state writes and reads its own JSON (<see cref="IFittedState{TSelf}"/>); format 1
/// groups the states under its own keys rather than as one list, and every model file written so far
/// has this layout, so it is kept byte for byte.
/// </summary>
/// <remarks>
/// <para>The document, in this order: <c>format</c> (1), <c>pipeline_name</c>, <c>channels</c>,
/// <c>sample_rate_hz</c>, <c>epoch_samples</c>, <c>class_names</c>; <c>signal_designs</c>, one
/// <see cref="FittedFilter"/> (a design or null) per filter or re-referencing step;
/// <c>filter_bank_designs</c>, the <see cref="FittedFilterBank"/> (left out without one); the
/// <see cref="FittedAlignment"/>'s two members at the top level, <c>alignment</c> (left out without
/// alignment) and <c>subject_alignments</c> (<c>{}</c> without alignment); <c>features</c>, the
/// <see cref="FeatureStepFit"/> of each feature step; <c>subject_standardization</c>, the
/// <see cref="FittedSubjectStandardization"/> (left out without one); <c>standardization</c>, the
/// <see cref="FittedStandardization"/> (left out without one); <c>feature_names</c>.</para>
/// <para>So format 1 can store only states of these types, in that order (the pipeline order of
/// their steps), with at most one filter bank, alignment and standardisation. A step type whose
/// fitted state is of another type needs a place here (or a format 2); a feature step needs none,
/// its state is one more element of <c>features</c>, read by the type the registry keeps for it.</para>
/// </remarks>
public static class FittedPipelineFormat1
{
    /// <summary>The format's version number, the document's <c>format</c>.</summary>
    public const int Version = 1;

    /// <summary>What format 1 writes as <c>subject_alignments</c> without alignment.</summary>
    private static readonly JsonElement NoSubjects = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The JSON options of the document and of every state in it (snake_case, enums as strings, doubles round-trip exactly).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new FeatureStepFitConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes <paramref name="fitted"/> as a format 1 document.</summary>
    /// <exception cref="InvalidOperationException">When a state is of a type format 1 has no place for, or the states are not in the order format 1 keeps (the message names the types).</exception>
    public static string Write(FittedPipeline fitted)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        var alignment = fitted.States.OfType<FittedAlignment>().FirstOrDefault();
        var document = new Document
        {
            PipelineName = fitted.PipelineName,
            Channels = fitted.Channels,
            SampleRateHz = fitted.SampleRateHz,
            EpochSamples = fitted.EpochSamples,
            ClassNames = fitted.ClassNames,
            SignalDesigns = fitted.States.OfType<FittedFilter>().ToArray(),
            FilterBankDesigns = fitted.States.OfType<FittedFilterBank>().FirstOrDefault(),
            Alignment = alignment?.OptionsJson(JsonOptions),
            SubjectAlignments = alignment?.SubjectsJson(JsonOptions) ?? NoSubjects,
            Features = fitted.States.OfType<FeatureStepFit>().ToArray(),
            SubjectStandardization = fitted.States.OfType<FittedSubjectStandardization>().FirstOrDefault(),
            Standardization = fitted.States.OfType<FittedStandardization>().FirstOrDefault(),
            FeatureNames = fitted.FeatureNames,
        };

        // Read back, the groups give the states in this order: anything else would not survive the round trip.
        var stored = document.States(alignment);
        if (!stored.SequenceEqual(fitted.States, ReferenceEqualityComparer.Instance))
        {
            throw new InvalidOperationException(
                $"fitted pipeline '{fitted.PipelineName}': format 1 cannot store states {string.Join(", ", fitted.States.Select(s => s.GetType().Name))}; "
                + $"it keeps {nameof(FittedFilter)}s, at most one {nameof(FittedFilterBank)}, at most one {nameof(FittedAlignment)}, {nameof(FeatureStepFit)}s, at most one {nameof(FittedSubjectStandardization)} and at most one {nameof(FittedStandardization)}, in that order.");
        }

        return JsonSerializer.Serialize(document, JsonOptions);
    }

    /// <summary>Reads a document written by <see cref="Write"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="InvalidDataException">When it is not a valid fitted pipeline of format 1; the message names <paramref name="source"/>.</exception>
    public static FittedPipeline Read(string json, string source)
    {
        Document? document;
        IReadOnlyList<IFittedState> states;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, JsonOptions);
            var alignment = document?.Alignment is { ValueKind: not JsonValueKind.Null } options
                ? FittedAlignment.ReadMembers(options, document.SubjectAlignments, JsonOptions)
                : null;
            states = document?.States(alignment) ?? [];
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{source}: the fitted pipeline is not valid: {e.Message}", e);
        }

        if (document is null)
        {
            throw new InvalidDataException($"{source}: the fitted pipeline is empty.");
        }

        if (document.Format != Version)
        {
            throw new InvalidDataException($"{source}: fitted pipeline format {document.Format} is not supported (this build reads {Version}).");
        }

        return new FittedPipeline
        {
            PipelineName = document.PipelineName,
            Channels = document.Channels,
            SampleRateHz = document.SampleRateHz,
            EpochSamples = document.EpochSamples,
            ClassNames = document.ClassNames,
            States = states,
            FeatureNames = document.FeatureNames,
        };
    }

    /// <summary>The document as format 1 lays it out: its members in this order, each state written by itself.</summary>
    private sealed record Document
    {
        public int Format { get; init; } = Version;

        public required string PipelineName { get; init; }

        public required IReadOnlyList<string> Channels { get; init; }

        public required double SampleRateHz { get; init; }

        public required int EpochSamples { get; init; }

        public required IReadOnlyList<string> ClassNames { get; init; }

        [JsonRequired]
        [JsonPropertyName("signal_designs")]
        public IReadOnlyList<FittedFilter> SignalDesigns { get; init; } = [];

        [JsonPropertyName("filter_bank_designs")]
        public FittedFilterBank? FilterBankDesigns { get; init; }

        /// <summary>The alignment's <see cref="FittedAlignment.OptionsProperty"/> member.</summary>
        [JsonPropertyName(FittedAlignment.OptionsProperty)]
        public JsonElement? Alignment { get; init; }

        /// <summary>The alignment's <see cref="FittedAlignment.SubjectsProperty"/> member.</summary>
        [JsonPropertyName(FittedAlignment.SubjectsProperty)]
        public JsonElement? SubjectAlignments { get; init; }

        public required IReadOnlyList<FeatureStepFit> Features { get; init; }

        /// <summary>The standardisation per subject (left out without one, so files without it are unchanged).</summary>
        [JsonPropertyName("subject_standardization")]
        public FittedSubjectStandardization? SubjectStandardization { get; init; }

        public FittedStandardization? Standardization { get; init; }

        public required IReadOnlyList<string> FeatureNames { get; init; }

        /// <summary>The states in pipeline order: the signal designs, the filter bank, <paramref name="alignment"/>, the feature steps, the standardisation.</summary>
        /// <exception cref="JsonException">When <c>signal_designs</c> or <c>features</c> is null.</exception>
        public IReadOnlyList<IFittedState> States(FittedAlignment? alignment) =>
        [
            .. SignalDesigns ?? throw new JsonException("'signal_designs' is null."),
            .. Optional(FilterBankDesigns),
            .. Optional(alignment),
            .. Features ?? throw new JsonException("'features' is null."),
            .. Optional(SubjectStandardization),
            .. Optional(Standardization),
        ];

        private static IEnumerable<IFittedState> Optional(IFittedState? state) => state is null ? [] : [state];
    }
}
