using System.Text.Json;
using System.Text.Json.Serialization;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// The fitted state of one feature step. Serialised as one JSON object with the step type as its
/// discriminator first, then the state's own properties (<c>{"type":"csp","csp":{…}}</c>,
/// <c>{"type":"log_variance"}</c>): the layout model files have carried since format 1.
/// </summary>
/// <param name="Type">The step type this is the state of.</param>
/// <remarks>Read and written by <see cref="FeatureStepFitConverter"/> (in <see cref="FittedPipeline.JsonOptions"/>).</remarks>
public abstract record FeatureStepFit([property: JsonIgnore] string Type);

/// <summary>The fitted state of a step with nothing to fit: its type alone.</summary>
/// <typeparam name="TStep">The step class.</typeparam>
public sealed record Unfitted<TStep>() : FeatureStepFit(TStep.Info.Name)
    where TStep : IStepType<TStep>;

/// <summary>
/// Reads and writes <see cref="FeatureStepFit"/> keyed by the registry: the <c>type</c> names the
/// step class, whose fitted-state type reads the rest of the object. An unknown type is an error
/// naming it and the known ones.
/// </summary>
public sealed class FeatureStepFitConverter : JsonConverter<FeatureStepFit>
{
    private const string Discriminator = "type";

    /// <inheritdoc />
    public override FeatureStepFit Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(Discriminator, out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new JsonException($"a fitted feature step must be an object with a string \"{Discriminator}\" (the step type, e.g. \"csp\").");
        }

        string name = type.GetString()!;
        var stateType = StageRegistry.FeatureFitType(name)
            ?? throw new JsonException($"unknown feature step type '{name}' in the fitted pipeline (known: {string.Join(", ", StageRegistry.FeatureTypes)}).");
        return (FeatureStepFit?)root.Deserialize(stateType, options)
            ?? throw new JsonException($"the fitted state of feature step '{name}' is empty.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, FeatureStepFit value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);

        // The discriminator first, then the concrete state's properties as its own contract writes them.
        using var state = JsonSerializer.SerializeToDocument(value, value.GetType(), options);
        writer.WriteStartObject();
        writer.WriteString(Discriminator, value.Type);
        foreach (var property in state.RootElement.EnumerateObject())
        {
            property.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}
