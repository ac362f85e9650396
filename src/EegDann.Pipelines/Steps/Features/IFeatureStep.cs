using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// A feature step: one class per step type owns its parameters (read by <see cref="IStepType{TSelf}.Parse"/>),
/// their validation against the pipeline's shape, the fit on the labeled source, its serialised
/// fitted state (a <see cref="FeatureStepFit"/>) and the per-window extractor built from that state.
/// </summary>
public interface IFeatureStep
{
    /// <summary>The step type, e.g. <c>csp</c>: the key of the registry and the discriminator of the fitted state.</summary>
    string Type { get; }

    /// <summary>Whether the step is fitted on the labeled source (CSP).</summary>
    bool NeedsLabels { get; }

    /// <summary>Whether the step is fitted on the source at all (CSP, tangent space); unfitted steps depend on each window (and its subject's alignment) only.</summary>
    bool IsFitted { get; }

    /// <summary>The problems of the parameters for a pipeline of this shape (empty when they are fine), each naming its parameter key.</summary>
    IReadOnlyList<StepProblem> Validate(FeatureShape shape);

    /// <summary>Fits the step on the source's aligned epochs (unfitted steps ignore them and return their empty state).</summary>
    /// <exception cref="ArgumentException">When the data cannot be fitted (e.g. CSP with one class).</exception>
    FeatureStepFit Fit(FeatureFitData source);

    /// <summary>Builds the per-window extractor from the step's fitted state.</summary>
    /// <exception cref="ArgumentException">When <paramref name="fit"/> is the state of another step type.</exception>
    IFeatureExtractor Create(FeatureShape shape, FeatureStepFit fit);
}

/// <summary>Channels, window length and rate that feature extractors are built for.</summary>
/// <param name="Channels">Channel names in pipeline order.</param>
/// <param name="Samples">Window length, samples.</param>
/// <param name="SampleRateHz">Rate, Hz.</param>
public sealed record FeatureShape(IReadOnlyList<string> Channels, int Samples, double SampleRateHz);

/// <summary>The labeled source as feature steps see it when fitting: aligned covariances and labels.</summary>
/// <param name="Covariances">Centred covariances of the aligned source epochs.</param>
/// <param name="Labels">Each epoch's class.</param>
/// <param name="Shape">Channels and window.</param>
public sealed record FeatureFitData(IReadOnlyList<double[]> Covariances, IReadOnlyList<string> Labels, FeatureShape Shape);

/// <summary>
/// The base of the feature step classes: a pipeline step of kind <see cref="StepKind.Feature"/>
/// whose fitted state has the type <typeparamref name="TFit"/>.
/// </summary>
/// <typeparam name="TFit">The step's fitted state.</typeparam>
/// <param name="Type">The step type.</param>
public abstract record FeatureStep<TFit>(string Type) : StepSpec(Type), IFeatureStep
    where TFit : FeatureStepFit
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Feature;

    /// <inheritdoc />
    public virtual bool NeedsLabels => false;

    /// <inheritdoc />
    public virtual bool IsFitted => true;

    /// <summary>Fits the step on the source's aligned epochs.</summary>
    public abstract TFit Fit(FeatureFitData source);

    /// <summary>Builds the extractor from the step's own fitted state.</summary>
    public abstract IFeatureExtractor Create(FeatureShape shape, TFit fit);

    /// <inheritdoc />
    FeatureStepFit IFeatureStep.Fit(FeatureFitData source) => Fit(source);

    /// <inheritdoc />
    IFeatureExtractor IFeatureStep.Create(FeatureShape shape, FeatureStepFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return Create(shape, fit as TFit ?? throw new ArgumentException($"step '{Type}' cannot be built from the fitted state of a '{fit.Type}' step.", nameof(fit)));
    }
}

/// <summary>The base of feature steps with nothing to fit (their features depend on each window alone).</summary>
/// <typeparam name="TSelf">The step class.</typeparam>
/// <param name="Type">The step type.</param>
public abstract record UnfittedFeatureStep<TSelf>(string Type) : FeatureStep<Unfitted<TSelf>>(Type)
    where TSelf : IStepType<TSelf>
{
    /// <inheritdoc />
    public override bool IsFitted => false;

    /// <inheritdoc />
    public override Unfitted<TSelf> Fit(FeatureFitData source) => new();

    /// <inheritdoc />
    public override IFeatureExtractor Create(FeatureShape shape, Unfitted<TSelf> fit) => Create(shape);

    /// <summary>Builds the extractor.</summary>
    protected abstract IFeatureExtractor Create(FeatureShape shape);
}
