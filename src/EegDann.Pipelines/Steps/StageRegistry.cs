using System.Text.Json;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// The closed registry of step types a pipeline file may use: each type name maps to the step
/// class that reads its parameters (strictly: unknown parameters are errors), validates them and
/// builds its stage. Adding a step type is adding its class (an <see cref="IStepType{TSelf}"/>;
/// a feature step also an <see cref="IFeatureStep"/> that owns its fit, fitted state and
/// extractor) and one entry here.
/// </summary>
public static class StageRegistry
{
    private sealed record Entry(string Description, IReadOnlyList<string> Parameters, Func<JsonSection, StepSpec> Parse, FeatureFitReader? ReadFeatureFit = null);

    /// <summary>Reads a feature step's fitted state from its JSON object (the state type's <see cref="IFittedState{TSelf}.ReadJson"/>).</summary>
    public delegate FeatureStepFit? FeatureFitReader(JsonElement json, JsonSerializerOptions options);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        [BandPassSpec.Info.Name] = Step<BandPassSpec>(),
        [HighPassSpec.Info.Name] = Step<HighPassSpec>(),
        [LowPassSpec.Info.Name] = Step<LowPassSpec>(),
        [NotchSpec.Info.Name] = Step<NotchSpec>(),
        [FilterBankSpec.Info.Name] = Step<FilterBankSpec>(),
        [CommonAverageReferenceSpec.Info.Name] = Step<CommonAverageReferenceSpec>(),
        [EuclideanAlignmentSpec.Info.Name] = Step<EuclideanAlignmentSpec>(),
        [LogVarianceSpec.Info.Name] = Feature<LogVarianceSpec, Unfitted<LogVarianceSpec>>(),
        [CovarianceSpec.Info.Name] = Feature<CovarianceSpec, Unfitted<CovarianceSpec>>(),
        [BandPowerSpec.Info.Name] = Feature<BandPowerSpec, Unfitted<BandPowerSpec>>(),
        [CspSpec.Info.Name] = Feature<CspSpec, CspStepFit>(),
        [TangentSpaceSpec.Info.Name] = Feature<TangentSpaceSpec, TangentSpaceStepFit>(),
        [StandardizeSpec.Info.Name] = Step<StandardizeSpec>(),
    };

    /// <summary>Every registered type name, sorted.</summary>
    /// <remarks>Declared after the entries: static fields initialise in order.</remarks>
    public static IReadOnlyList<string> Types { get; } = Entries.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The feature step type names, sorted.</summary>
    public static IReadOnlyList<string> FeatureTypes { get; } = Types.Where(t => Entries[t].ReadFeatureFit != null).ToArray();

    /// <summary>The reader of a feature step's fitted state (registered beside the step class), or null when <paramref name="type"/> is no feature step.</summary>
    public static FeatureFitReader? FeatureFitReaderFor(string type) => Entries.TryGetValue(type, out var e) ? e.ReadFeatureFit : null;

    /// <summary>One line describing a type, for help texts.</summary>
    public static string Describe(string type) => Entries.TryGetValue(type, out var e) ? $"{type}({string.Join(", ", e.Parameters)}): {e.Description}" : type;

    /// <summary>Reads a step's parameters; records problems (unknown type, unknown or bad parameters) naming the step.</summary>
    /// <param name="type">The step's <c>type</c>.</param>
    /// <param name="parameters">Its <c>parameters</c> object.</param>
    /// <returns>The spec, or null when the type is unknown.</returns>
    public static StepSpec? Parse(string type, JsonSection parameters)
    {
        if (!Entries.TryGetValue(type, out var entry))
        {
            parameters.Problem($"unknown step type '{type}' (known: {string.Join(", ", Types)})");
            return null;
        }

        var spec = entry.Parse(parameters);
        parameters.RejectUnknown(entry.Parameters);
        return spec;
    }

    /// <summary>The entry of a step class without fitted feature state: everything comes from the class.</summary>
    private static Entry Step<TStep>()
        where TStep : StepSpec, IStepType<TStep> => new(TStep.Info.Description, TStep.Info.ParameterKeys, p => TStep.Parse(p));

    /// <summary>The entry of a feature step class: everything comes from the class; <typeparamref name="TFit"/> is checked against it by the compiler and reads the step's fitted state.</summary>
    private static Entry Feature<TStep, TFit>()
        where TStep : FeatureStep<TFit>, IStepType<TStep>
        where TFit : FeatureStepFit, IFittedState<TFit> => new(TStep.Info.Description, TStep.Info.ParameterKeys, p => TStep.Parse(p), (json, options) => TFit.ReadJson(json, options));
}
