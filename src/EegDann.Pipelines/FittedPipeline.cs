using EegDann.Dsp.Alignment;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines;

/// <summary>
/// Everything a pipeline learned from data, apart from its options: the fitted state of each of its
/// steps in pipeline order (the signal steps' filter designs, each subject's Euclidean alignment, CSP
/// filters, the tangent-space reference, the feature standardisation). Immutable; serialisable to JSON
/// so a model file can carry it (<see cref="FittedPipelineFormat1"/>).
/// </summary>
/// <remarks>
/// What is fitted on what: alignments on each subject's own unlabeled epochs (sources and the
/// target alike); CSP on the labeled source; the tangent-space reference and the standardisation
/// on the source only. At decode time the target's alignment is applied (or estimated online).
/// The pipeline holds one list of states (<see cref="States"/>) and names no step type; the typed
/// properties (<see cref="SignalSteps"/>, <see cref="Alignment"/>, <see cref="Features"/>,
/// <see cref="Standardization"/>) are views of that list by state type.
/// </remarks>
public sealed record FittedPipeline
{
    private readonly IReadOnlyList<IFittedState> _states = [];

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
    /// Every step's fitted state, in pipeline order: the signal steps (<see cref="Definitions.PipelineDefinition.SignalPath"/>),
    /// the alignment (when there is one), the feature steps (after a filter bank band by band: every step
    /// of band 1, then of band 2…), the standardisation (when there is one).
    /// </summary>
    public required IReadOnlyList<IFittedState> States
    {
        get => _states;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _states = [.. value];
            SignalSteps = _states.OfType<FittedSignalStep>().ToArray();
            Alignment = One<FittedAlignment>(_states);
            Features = _states.OfType<FeatureStepFit>().ToArray();
            Standardization = One<FittedStandardization>(_states);
            SubjectStandardization = One<FittedSubjectStandardization>(_states);
        }
    }

    /// <summary>
    /// The signal steps' states, in step order (<see cref="Definitions.PipelineDefinition.SignalPath"/>: each
    /// filter's design, then the filter bank's band designs); each step checks its own when the path is built.
    /// </summary>
    public IReadOnlyList<FittedSignalStep> SignalSteps { get; private init; } = [];

    /// <summary>Bands every window carries (1 without a filter bank).</summary>
    public int BandCount => FittedSignalStep.BandsOf(SignalSteps);

    /// <summary>
    /// The alignment step's state (its options and the fit of each subject seen, sources and target,
    /// one block per band after a filter bank), or null when the pipeline has no alignment.
    /// </summary>
    public FittedAlignment? Alignment { get; private init; }

    /// <summary>The feature steps' states, in order; after a filter bank band by band (every step of band 1, then of band 2…).</summary>
    public IReadOnlyList<FeatureStepFit> Features { get; private init; } = [];

    /// <summary>The standardisation's state, or null when features are not standardised.</summary>
    public FittedStandardization? Standardization { get; private init; }

    /// <summary>The standardisation per subject (<c>standardize</c> with <c>per</c> <c>subject</c>): each subject's statistics, or null.</summary>
    public FittedSubjectStandardization? SubjectStandardization { get; private init; }

    /// <summary>Names of the features, in order (empty for a pipeline without feature steps).</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>The same fit with every state of type <typeparamref name="TState"/> replaced by <paramref name="change"/>'s result, in its place.</summary>
    /// <typeparam name="TState">The state type to replace (e.g. <see cref="FittedAlignment"/>).</typeparam>
    /// <param name="change">The new state for an old one.</param>
    public FittedPipeline Replace<TState>(Func<TState, TState> change)
        where TState : IFittedState
    {
        ArgumentNullException.ThrowIfNull(change);
        return this with { States = States.Select(s => s is TState state ? change(state) : s).ToArray() };
    }

    /// <summary>The same fit with another subject's alignment added (or replaced).</summary>
    /// <exception cref="InvalidOperationException">When the pipeline has no alignment.</exception>
    public FittedPipeline WithSubjectAlignment(AlignmentFit alignment)
    {
        ArgumentNullException.ThrowIfNull(alignment);
        return Alignment is null
            ? throw new InvalidOperationException($"pipeline '{PipelineName}' has no alignment; subject '{alignment.Subject}' cannot be added.")
            : Replace<FittedAlignment>(a => a.With(alignment));
    }

    /// <summary>The same fit keeping, of the per-subject states (alignment, standardisation per subject), only <paramref name="subject"/>'s: what a model file for that subject carries.</summary>
    public FittedPipeline OnlyFor(string subject) =>
        Replace<FittedAlignment>(a => a.Only(subject)).Replace<FittedSubjectStandardization>(s => s.Only(subject));

    /// <summary>Serialises to JSON as model files store it (<see cref="FittedPipelineFormat1.Write"/>).</summary>
    /// <exception cref="InvalidOperationException">When the states cannot be stored in that format (<see cref="FittedPipelineFormat1.Write"/> says why).</exception>
    public string ToJson() => FittedPipelineFormat1.Write(this);

    /// <summary>Reads a document written by <see cref="ToJson"/> (<see cref="FittedPipelineFormat1.Read"/>).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="InvalidDataException">When it is not a valid fitted pipeline; the message names <paramref name="source"/>.</exception>
    public static FittedPipeline FromJson(string json, string source) => FittedPipelineFormat1.Read(json, source);

    /// <summary>The one state of type <typeparamref name="TState"/>, or null.</summary>
    /// <exception cref="ArgumentException">When there are several (a pipeline has at most one alignment and one standardisation step).</exception>
    private static TState? One<TState>(IReadOnlyList<IFittedState> states)
        where TState : class, IFittedState
    {
        var found = states.OfType<TState>().Take(2).ToArray();
        return found.Length < 2 ? found.FirstOrDefault() : throw new ArgumentException($"a fitted pipeline has at most one {typeof(TState).Name}, these states have several.", nameof(states));
    }
}
