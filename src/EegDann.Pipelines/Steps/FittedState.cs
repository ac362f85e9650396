using System.Text.Json;
using System.Text.Json.Serialization;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// A step's fitted state, whatever the kind of step (signal, alignment, feature, standardisation):
/// what a model file carries of the step, written by the state itself.
/// </summary>
public interface IFittedState
{
    /// <summary>Writes the state as one JSON value.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="options">The model file's JSON options.</param>
    void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options);
}

/// <summary>
/// A step's fitted state that writes and reads its own JSON: what a model file carries of the step.
/// The state type owns its layout, so a model file changes only when a step's state does.
/// </summary>
/// <typeparam name="TSelf">The state type.</typeparam>
/// <remarks>
/// Model files are written with <see cref="FittedPipelineFormat1.JsonOptions"/> (snake_case, doubles
/// round-trip exactly); a state passes those options on to the values it nests.
/// </remarks>
public interface IFittedState<TSelf> : IFittedState
    where TSelf : class, IFittedState<TSelf>
{
    /// <summary>Reads a value written by <see cref="IFittedState.WriteJson"/>.</summary>
    /// <param name="json">The value (it may be JSON null when the state writes null).</param>
    /// <param name="options">The model file's JSON options.</param>
    /// <returns>The state, or null when a JSON null stands for no state at all.</returns>
    /// <exception cref="JsonException">When the value is not such a state; the message says what is missing.</exception>
    static abstract TSelf? ReadJson(JsonElement json, JsonSerializerOptions options);
}

/// <summary>Reads and writes a fitted state through its own <see cref="IFittedState{TSelf}"/> members (put on the state type with <see cref="JsonConverterAttribute"/>).</summary>
/// <typeparam name="T">The state type.</typeparam>
public sealed class FittedStateConverter<T> : JsonConverter<T>
    where T : class, IFittedState<T>
{
    /// <inheritdoc />
    /// <remarks>A state decides what a JSON null means (a filter without coefficients, or no state).</remarks>
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return T.ReadJson(document.RootElement, options);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        value.WriteJson(writer, options);
    }
}

/// <summary>Helpers for states reading their own JSON.</summary>
internal static class FittedJson
{
    /// <summary>The value of a required property, deserialised with the model file's options.</summary>
    /// <exception cref="JsonException">When it is missing or null; the message names <paramref name="state"/> and <paramref name="name"/>.</exception>
    public static TValue Required<TValue>(JsonElement json, string name, string state, JsonSerializerOptions options)
        where TValue : class
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"the fitted state of {state} must be an object.");
        }

        return json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.Deserialize<TValue>(options) ?? throw new JsonException($"the fitted state of {state} has a null '{name}'.")
            : throw new JsonException($"the fitted state of {state} has no '{name}'.");
    }
}
