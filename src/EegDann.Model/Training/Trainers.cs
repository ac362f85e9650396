using EegDann.Core;

namespace EegDann.Model;

/// <summary>One training method: its data checks; the training itself is <see cref="StackedMlpTrainer"/>'s, as a stack of one.</summary>
public interface IDomainAdaptationTrainer
{
    /// <summary>The method this trainer implements.</summary>
    TrainingMethod Method { get; }

    /// <summary>
    /// Trains a network. Returns a model and per-epoch diagnostics, or — when training diverges — a
    /// failure report and no model.
    /// </summary>
    /// <param name="problem">The data.</param>
    /// <param name="options">Settings; <see cref="TrainingOptions.Method"/> is taken from this trainer.</param>
    /// <param name="progress">Receives one report per epoch (task <c>train METHOD</c>), or null.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <exception cref="ArgumentException">When the options or the data do not suit the method; lists every problem.</exception>
    /// <exception cref="OperationCanceledException">When cancelled.</exception>
    TrainingResult Train(TrainingProblem problem, TrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>The trainers, by method, and one entry point that picks the trainer from the options.</summary>
public static class Trainers
{
    /// <summary>The trainer of <paramref name="method"/>.</summary>
    public static IDomainAdaptationTrainer For(TrainingMethod method) => method switch
    {
        TrainingMethod.SourceOnly => new SourceOnlyTrainer(),
        TrainingMethod.Reweighting => new ReweightingTrainer(),
        TrainingMethod.Dann => new DannTrainer(),
        TrainingMethod.SemiSupervisedDann => new SemiSupervisedDannTrainer(),
        TrainingMethod.MultiSourceDann => new MultiSourceDannTrainer(),
        TrainingMethod.DannIm => new DannImTrainer(),
        TrainingMethod.SourceOnlyIm => new SourceOnlyImTrainer(),
        TrainingMethod.Cdan => new CdanTrainer(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown training method."),
    };

    /// <summary>Trains with the method named in <paramref name="options"/>.</summary>
    /// <inheritdoc cref="IDomainAdaptationTrainer.Train"/>
    public static TrainingResult Train(TrainingProblem problem, TrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return For(options.Method).Train(problem, options, progress, cancellationToken);
    }
}

/// <summary>
/// Checks shared by every trainer, and the one training path: a method's network is trained by
/// <see cref="StackedMlpTrainer"/> as a stack of one member, so a network trained here is bit for
/// bit the network the same member would be in any stack (calibration and evaluation).
/// </summary>
public abstract class TrainerBase : IDomainAdaptationTrainer
{
    /// <inheritdoc />
    public abstract TrainingMethod Method { get; }

    /// <inheritdoc />
    public TrainingResult Train(TrainingProblem problem, TrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options = options with { Method = Method };
        var problems = StackedMlpTrainer.Problems(problem, options);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Cannot train {Method.Name()}: " + string.Join("; ", problems) + ".");
        }

        return StackedMlpTrainer.TrainAlone(new StackedMember(problem, options), progress, cancellationToken);
    }

    /// <summary>Every problem with <paramref name="options"/> and with <paramref name="problem"/> for the method the options name; empty when it can be trained.</summary>
    internal static List<string> Problems(TrainingProblem problem, TrainingOptions options)
    {
        var trainer = (TrainerBase)Trainers.For(options.Method);
        var problems = new List<string>(options.Validate());
        problems.AddRange(trainer.CheckData(problem, options));
        return problems;
    }

    /// <summary>What is wrong with the data for this method; empty when fine.</summary>
    protected virtual IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => [];

    /// <summary>The check that unlabeled target samples are present.</summary>
    protected static IEnumerable<string> RequireTarget(TrainingProblem problem)
    {
        if (problem.Target.Count == 0)
        {
            yield return "it needs unlabeled target samples, and there are none";
        }
    }
}

/// <summary><c>source_only</c>: the label loss on the labeled source (plus labeled target samples, if any are given).</summary>
public sealed class SourceOnlyTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.SourceOnly;
}

/// <summary><c>reweighting</c>: importance weights from a source-vs-target logistic regression (<see cref="ImportanceWeighting"/>), then weighted source-only training.</summary>
public sealed class ReweightingTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.Reweighting;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => RequireTarget(problem);
}

/// <summary><c>dann</c>: source label loss plus the adversarial source-vs-target domain loss (several source subjects are pooled as one domain).</summary>
public sealed class DannTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.Dann;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => RequireTarget(problem);
}

/// <summary><c>dann_semi</c>: DANN whose label loss also includes the labeled target samples, weighted by <see cref="TrainingOptions.TargetLabelWeight"/>.</summary>
public sealed class SemiSupervisedDannTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.SemiSupervisedDann;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options)
    {
        foreach (var p in RequireTarget(problem))
        {
            yield return p;
        }

        if (problem.TargetLabeled is null)
        {
            yield return "it needs labeled target samples, and there are none";
        }
    }
}

/// <summary><c>dann_multi_source</c>: DANN with one domain per source subject plus the target.</summary>
public sealed class MultiSourceDannTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.MultiSourceDann;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options)
    {
        foreach (var p in RequireTarget(problem))
        {
            yield return p;
        }

        if (problem.Source.DomainIds is null || problem.Source.DomainCount < 2)
        {
            yield return "it needs source domain ids naming at least two source subjects";
        }
    }
}

/// <summary><c>dann_im</c>: DANN plus information maximisation on the unlabeled target (labeled target samples, if given, join the label loss).</summary>
public sealed class DannImTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.DannIm;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => RequireTarget(problem);
}

/// <summary><c>source_only_im</c>: the source label loss plus information maximisation on the unlabeled target, no domain head.</summary>
public sealed class SourceOnlyImTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.SourceOnlyIm;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => RequireTarget(problem);
}

/// <summary>
/// <c>cdan</c>: DANN whose domain head reads the multilinear map of the features and the class
/// probabilities (<see cref="MultilinearMap"/>; labeled target samples, if given, join the label loss).
/// </summary>
/// <remarks>Long, Cao, Wang &amp; Jordan, Conditional Adversarial Domain Adaptation, NeurIPS 2018.</remarks>
public sealed class CdanTrainer : TrainerBase
{
    /// <inheritdoc />
    public override TrainingMethod Method => TrainingMethod.Cdan;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckData(TrainingProblem problem, TrainingOptions options) => RequireTarget(problem);
}
