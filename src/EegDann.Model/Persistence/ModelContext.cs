using System.Text.Json;
using EegDann.Core;

namespace EegDann.Model;

/// <summary>
/// One fitted stage of the signal pipeline (alignment, normalisation, CSP…), as its owner serialised
/// it. The model file stores the document as it is; only the pipeline code reads it.
/// </summary>
/// <param name="Name">The step's name or type as the pipeline calls it, e.g. <c>euclidean_alignment</c>.</param>
/// <param name="State">The stage's fitted state.</param>
public sealed record FittedStage(string Name, JsonElement State);

/// <summary>
/// What a model file carries besides the network, provided by the caller: EegDann.Model cannot see
/// the signal pipeline, so the pipeline definition and its fitted stages travel as opaque JSON.
/// </summary>
public sealed record ModelContext
{
    /// <summary>No context (e.g. the toy problem).</summary>
    public static ModelContext None { get; } = new();

    /// <summary>Sample rate and channel names, in the order the pipeline reads them; null when the inputs are not EEG.</summary>
    public SignalInfo? Signal { get; init; }

    /// <summary>Names of the input features in order (e.g. <c>logvar_C3</c>), or empty.</summary>
    public IReadOnlyList<string> FeatureNames { get; init; } = [];

    /// <summary>The pipeline definition (the pipelines/*.json document), or null.</summary>
    public JsonElement? Pipeline { get; init; }

    /// <summary>Every fitted stage of the pipeline, in pipeline order.</summary>
    public IReadOnlyList<FittedStage> FittedStages { get; init; } = [];

    /// <summary>Further facts (source subjects, recordings, the report's scores…), as strings.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}

/// <summary>Whether data fits a model: what blocks decoding, and what the pipeline must adjust.</summary>
/// <param name="Mismatches">Every problem that prevents decoding this data with this model (rate, missing channels, sample shape); empty when it fits.</param>
/// <param name="NeedsReordering">The data has every channel the model needs, in another order: select them by name.</param>
/// <param name="IgnoredChannels">Channels of the data the model does not use.</param>
public sealed record ModelFit(IReadOnlyList<string> Mismatches, bool NeedsReordering, IReadOnlyList<string> IgnoredChannels)
{
    /// <summary>Whether the data can be decoded (after selecting channels by name).</summary>
    public bool Fits => Mismatches.Count == 0;
}
