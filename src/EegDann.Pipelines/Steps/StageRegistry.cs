using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// The closed registry of step types a pipeline file may use: each type name maps to the code
/// that reads its parameters (strictly: unknown parameters are errors) and builds its stage.
/// Adding a signal stage type is adding one entry here; adding a feature step type is adding its
/// class (an <see cref="IFeatureStep"/> that owns parameters, validation, fit, fitted state and
/// extractor) and one <c>Feature&lt;TStep, TFit&gt;()</c> entry.
/// </summary>
public static class StageRegistry
{
    private sealed record Entry(string Description, IReadOnlyList<string> Parameters, Func<JsonSection, StepSpec> Parse, Type? FeatureFitType = null);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        ["bandpass"] = new("causal Butterworth band-pass (second-order sections)", ["low_hz", "high_hz", "order"], p =>
            new BandPassSpec(p.Number("low_hz", min: 0, minExclusive: true), p.Number("high_hz", min: 0, minExclusive: true), p.Integer("order", 4, 1, 12))),
        ["highpass"] = new("causal Butterworth high-pass", ["cutoff_hz", "order"], p =>
            new HighPassSpec(p.Number("cutoff_hz", min: 0, minExclusive: true), p.Integer("order", 4, 1, 12))),
        ["lowpass"] = new("causal Butterworth low-pass", ["cutoff_hz", "order"], p =>
            new LowPassSpec(p.Number("cutoff_hz", min: 0, minExclusive: true), p.Integer("order", 4, 1, 12))),
        ["notch"] = new("causal Butterworth band-stop centred on the mains frequency", ["frequency_hz", "width_hz", "order"], p =>
            new NotchSpec(p.Number("frequency_hz", min: 0, minExclusive: true), p.Number("width_hz", 4.0, min: 0, minExclusive: true), p.Integer("order", 2, 1, 12))),
        ["filter_bank"] = new("causal Butterworth band-passes side by side; later steps run on every band (last signal step)", ["bands", "order"], p =>
            new FilterBankSpec(p.PairList("bands").Select(b => new FrequencyBand(b.Low, b.High)).ToArray(), p.Integer("order", 4, 1, 12))),
        ["common_average_reference"] = new("subtract the mean of all pipeline channels at every sample", [], _ => new CommonAverageReferenceSpec()),
        ["euclidean_alignment"] = new("Euclidean alignment (He & Wu 2019), per subject", ["shrinkage", "warmup_windows", "update_every_windows", "reference"], p =>
            new EuclideanAlignmentSpec(
                new EuclideanAlignmentOptions
                {
                    Shrinkage = p.Number("shrinkage", 0.0, min: 0, max: 0.999),
                    WarmupWindows = p.Integer("warmup_windows", 32, min: 1),
                    UpdateEveryWindows = p.Integer("update_every_windows", 16, min: 1),
                },
                p.Text("reference", "epochs", ["epochs", "windows"]) == "windows" ? AlignmentReference.Windows : AlignmentReference.Epochs)),
        [LogVarianceSpec.Info.Name] = Feature<LogVarianceSpec, Unfitted<LogVarianceSpec>>(),
        [CovarianceSpec.Info.Name] = Feature<CovarianceSpec, Unfitted<CovarianceSpec>>(),
        [BandPowerSpec.Info.Name] = Feature<BandPowerSpec, Unfitted<BandPowerSpec>>(),
        [CspSpec.Info.Name] = Feature<CspSpec, CspStepFit>(),
        [TangentSpaceSpec.Info.Name] = Feature<TangentSpaceSpec, TangentSpaceStepFit>(),
        ["standardize"] = new("z-score of every feature (fitted on the source)", [], _ => new StandardizeSpec()),
    };

    /// <summary>Every registered type name, sorted.</summary>
    /// <remarks>Declared after the entries: static fields initialise in order.</remarks>
    public static IReadOnlyList<string> Types { get; } = Entries.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The feature step type names, sorted.</summary>
    public static IReadOnlyList<string> FeatureTypes { get; } = Types.Where(t => Entries[t].FeatureFitType != null).ToArray();

    /// <summary>The type of a feature step's fitted state (what its <see cref="FeatureStepFit"/> is read as), or null when <paramref name="type"/> is no feature step.</summary>
    public static Type? FeatureFitType(string type) => Entries.TryGetValue(type, out var e) ? e.FeatureFitType : null;

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

    /// <summary>The entry of a feature step class: everything comes from the class; <typeparamref name="TFit"/> is checked against it by the compiler.</summary>
    private static Entry Feature<TStep, TFit>()
        where TStep : FeatureStep<TFit>, IFeatureStepType<TStep>
        where TFit : FeatureStepFit => new(TStep.Info.Description, TStep.Info.ParameterKeys, p => TStep.Parse(p), typeof(TFit));
}
