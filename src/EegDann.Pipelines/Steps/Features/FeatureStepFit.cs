using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// The fitted state of one feature step. Serialised as one JSON object with the step type as its
/// discriminator first, then the state's own properties (<c>{"type":"csp","csp":{…}}</c>,
/// <c>{"type":"log_variance"}</c>): the layout model files have carried since format 1.
/// </summary>
/// <param name="Type">The step type this is the state of.</param>
/// <remarks>
/// Each state type writes its own properties (<see cref="WriteProperties"/>) and reads itself back
/// (<see cref="IFittedState{TSelf}.ReadJson"/>, registered beside its step class in <see cref="StageRegistry"/>);
/// <see cref="FeatureStepFitConverter"/> (in <see cref="FittedPipelineFormat1.JsonOptions"/>) picks the reader by the discriminator,
/// so a state is (de)serialised as a <see cref="FeatureStepFit"/>.
/// </remarks>
public abstract record FeatureStepFit([property: JsonIgnore] string Type) : IFittedState
{
    /// <summary>The discriminator's property name.</summary>
    public const string TypeProperty = "type";

    /// <summary>Writes the state as one object: <c>type</c> first, then the state's own properties.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="options">The model file's JSON options.</param>
    public void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString(TypeProperty, Type);
        WriteProperties(writer, options);
        writer.WriteEndObject();
    }

    /// <summary>Writes the state's own properties (after <c>type</c>).</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="options">The model file's JSON options.</param>
    protected abstract void WriteProperties(Utf8JsonWriter writer, JsonSerializerOptions options);
}

/// <summary>The fitted state of a step with nothing to fit: its type alone.</summary>
/// <typeparam name="TStep">The step class.</typeparam>
public sealed record Unfitted<TStep>() : FeatureStepFit(TStep.Info.Name), IFittedState<Unfitted<TStep>>
    where TStep : IStepType<TStep>
{
    /// <inheritdoc />
    [SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "It implements IFittedState's static abstract reader, which the registry calls through the type parameter.")]
    public static Unfitted<TStep> ReadJson(JsonElement json, JsonSerializerOptions options) =>
        json.ValueKind == JsonValueKind.Object ? new() : throw new JsonException($"the fitted state of '{TStep.Info.Name}' must be an object.");

    /// <inheritdoc />
    protected override void WriteProperties(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        // Nothing was fitted: the type alone.
    }
}

/// <summary>
/// Reads and writes <see cref="FeatureStepFit"/> keyed by the registry: the <c>type</c> names the
/// step class, whose fitted-state type reads the rest of the object. An unknown type is an error
/// naming it and the known ones.
/// </summary>
public sealed class FeatureStepFitConverter : JsonConverter<FeatureStepFit>
{
    /// <inheritdoc />
    public override FeatureStepFit Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(FeatureStepFit.TypeProperty, out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new JsonException($"a fitted feature step must be an object with a string \"{FeatureStepFit.TypeProperty}\" (the step type, e.g. \"csp\").");
        }

        string name = type.GetString()!;
        var read = StageRegistry.FeatureFitReaderFor(name)
            ?? throw new JsonException($"unknown feature step type '{name}' in the fitted pipeline (known: {string.Join(", ", StageRegistry.FeatureTypes)}).");
        return read(root, options)
            ?? throw new JsonException($"the fitted state of feature step '{name}' is empty.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, FeatureStepFit value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.WriteJson(writer, options);
    }
}
