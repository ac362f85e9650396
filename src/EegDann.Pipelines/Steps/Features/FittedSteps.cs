using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary><c>csp</c>: common spatial patterns, fitted on the labeled source.</summary>
/// <param name="Components">Filters per class pair (one-vs-rest: per class), 1..channels.</param>
/// <param name="Regularization">Shrinkage of each class covariance, in [0, 1).</param>
public sealed record CspSpec(int Components, double Regularization) : FeatureStep<CspStepFit>(CspSpec.Info.Name), IStepType<CspSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("csp", "common spatial patterns, ln variance of each component (fitted on the labeled source)", ["components", "regularization"]);

    /// <inheritdoc />
    public static CspSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.Integer("components", 6, min: 1), parameters.Number("regularization", 0.0, min: 0, max: 0.999));
    }

    /// <inheritdoc />
    public override bool NeedsLabels => true;

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["components"] = Components, ["regularization"] = Regularization };

    /// <inheritdoc />
    public override IReadOnlyList<StepProblem> Validate(FeatureShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Components <= shape.Channels.Count ? [] : [new StepProblem("components", $"{Components} exceeds the {shape.Channels.Count} channels")];
    }

    /// <inheritdoc />
    public override CspStepFit Fit(FeatureFitData source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(Dsp.Features.Csp.Fit(source.Covariances, source.Labels, source.Shape.Channels.Count, Components, Regularization));
    }

    /// <inheritdoc />
    public override IFeatureExtractor Create(FeatureShape shape, CspStepFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return new CspFeatures(fit.Csp);
    }
}

/// <summary>The fitted state of <c>csp</c>.</summary>
/// <param name="Csp">The spatial filters.</param>
public sealed record CspStepFit(CspFit Csp) : FeatureStepFit(CspSpec.Info.Name), IFittedState<CspStepFit>
{
    private const string CspProperty = "csp";

    /// <inheritdoc />
    public static CspStepFit ReadJson(JsonElement json, JsonSerializerOptions options) => new(FittedJson.Required<CspFit>(json, CspProperty, $"'{CspSpec.Info.Name}'", options));

    /// <inheritdoc />
    protected override void WriteProperties(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(CspProperty);
        JsonSerializer.Serialize(writer, Csp, options);
    }
}

/// <summary><c>tangent_space</c>: Riemannian tangent space at a reference fitted on the source's (aligned) covariances, no labels.</summary>
/// <param name="Metric">The metric of the reference mean and the log map.</param>
/// <param name="Shrinkage">Shrinkage of each covariance, in [0, 1).</param>
public sealed record TangentSpaceSpec(TangentSpaceMetric Metric, double Shrinkage) : FeatureStep<TangentSpaceStepFit>(TangentSpaceSpec.Info.Name), IStepType<TangentSpaceSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("tangent_space", "Riemannian tangent space of the covariance (reference fitted on the source)", ["metric", "shrinkage"]);

    /// <inheritdoc />
    public static TangentSpaceSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(
            parameters.Text("metric", "riemann", ["riemann", "log_euclid"]) == "log_euclid" ? TangentSpaceMetric.LogEuclid : TangentSpaceMetric.Riemann,
            parameters.Number("shrinkage", 0.0, min: 0, max: 0.999));
    }

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["metric"] = Metric == TangentSpaceMetric.LogEuclid ? "log_euclid" : "riemann", ["shrinkage"] = Shrinkage };

    /// <inheritdoc />
    public override TangentSpaceStepFit Fit(FeatureFitData source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(Dsp.Features.TangentSpace.Fit(source.Covariances, source.Shape.Channels.Count, Metric, Shrinkage));
    }

    /// <inheritdoc />
    public override IFeatureExtractor Create(FeatureShape shape, TangentSpaceStepFit fit)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(fit);
        return new TangentSpaceFeatures(fit.TangentSpace, shape.Channels);
    }
}

/// <summary>The fitted state of <c>tangent_space</c>.</summary>
/// <param name="TangentSpace">The reference point.</param>
public sealed record TangentSpaceStepFit(TangentSpaceFit TangentSpace) : FeatureStepFit(TangentSpaceSpec.Info.Name), IFittedState<TangentSpaceStepFit>
{
    private const string ReferenceProperty = "tangent_space";

    /// <inheritdoc />
    public static TangentSpaceStepFit ReadJson(JsonElement json, JsonSerializerOptions options) =>
        new(FittedJson.Required<TangentSpaceFit>(json, ReferenceProperty, $"'{TangentSpaceSpec.Info.Name}'", options));

    /// <inheritdoc />
    protected override void WriteProperties(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(ReferenceProperty);
        JsonSerializer.Serialize(writer, TangentSpace, options);
    }
}
