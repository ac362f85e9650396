using EegDann.Core;
using EegDann.Model;

namespace EegDann.Pipelines.Calibration;

/// <summary>One cross-subject fold: a target subject (unlabeled in training) and the labeled source subjects.</summary>
/// <param name="Target">The target subject.</param>
/// <param name="Sources">The source subjects.</param>
public sealed record CrossSubjectFold(string Target, IReadOnlyList<string> Sources);

/// <summary>
/// How a target's cue epochs are used in one run, per class and drawn per seed from one shuffle
/// (<see cref="LabeledSelection.ShuffledPerClass"/>): the first <paramref name="LabeledPerClass"/>
/// join training with their labels; the first max(labeled, <paramref name="ReservedPerClass"/>) are
/// not scored (so every point of a learning curve with labeled ≤ reserved is scored on the same
/// epochs); the last <paramref name="HoldoutPerClass"/> are kept only to estimate the accuracy (a
/// lab's check before deployment); the rest are scored. Labels never reach training otherwise.
/// </summary>
/// <param name="LabeledPerClass">K labeled target epochs per class in training.</param>
/// <param name="HoldoutPerClass">H labeled epochs per class kept only for the holdout estimate.</param>
/// <param name="ReservedPerClass">Epochs per class left unscored as if labeled (the learning curve's largest K).</param>
public sealed record TargetSplit(int LabeledPerClass, int HoldoutPerClass = 0, int ReservedPerClass = 0)
{
    /// <summary>Whether the split depends on the seed.</summary>
    public bool DependsOnSeed => LabeledPerClass > 0 || HoldoutPerClass > 0 || ReservedPerClass > 0;

    /// <summary>Epochs per class a scored target needs: the unscored ones, the holdout and one to score.</summary>
    public int NeededPerClass => Math.Max(LabeledPerClass, ReservedPerClass) + HoldoutPerClass + 1;

    /// <summary>The key of <paramref name="seed"/>'s split: the seed when the split depends on it, else -1 (every seed shares one split).</summary>
    internal int KeyOf(int seed) => DependsOnSeed ? seed : -1;
}

/// <summary>How a method scored on the target's epochs (when they carry cues).</summary>
/// <param name="Accuracy">Fraction of scored epochs decoded right.</param>
/// <param name="BalancedAccuracy">Mean over classes of each class's recall.</param>
/// <param name="Confusion"><c>[true class][predicted class]</c> counts, classes in network order.</param>
public sealed record TargetScore(double Accuracy, double BalancedAccuracy, int[][] Confusion)
{
    /// <summary>Scores predictions against labels (class indices).</summary>
    public static TargetScore Of(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        for (int i = 0; i < truth.Count; i++)
        {
            confusion[truth[i]][predicted[i]]++;
        }

        double accuracy = truth.Count == 0 ? double.NaN : Enumerable.Range(0, classes).Sum(k => confusion[k][k]) / (double)truth.Count;
        double balanced = Enumerable.Range(0, classes).Where(k => confusion[k].Sum() > 0).Select(k => confusion[k][k] / (double)confusion[k].Sum()).DefaultIfEmpty(double.NaN).Average();
        return new TargetScore(accuracy, balanced, confusion);
    }
}

/// <summary>One method with one seed on one fold.</summary>
/// <param name="Method">The method.</param>
/// <param name="Seed">The seed (an ensemble's members use seeds derived from it).</param>
/// <param name="Predicted">Predicted class of each scored target epoch; null when training failed or the target has no cues.</param>
/// <param name="Score">The score; null without cues or when training failed.</param>
/// <param name="Curves">Per-epoch diagnostics (mean over an ensemble's members); empty for CSP + LDA.</param>
/// <param name="Failure">Why training failed, or null.</param>
/// <param name="MemberSeeds">The seeds of the networks trained (empty for CSP + LDA).</param>
public sealed record MethodRun(CalibrationMethod Method, int Seed, int[]? Predicted, TargetScore? Score, IReadOnlyList<EpochDiagnostics> Curves, TrainingFailure? Failure, IReadOnlyList<int> MemberSeeds)
{
    /// <summary>
    /// The method's name as it was asked for (an evaluation row's name). It differs from <see cref="Method"/>'s
    /// when the target's labeled count changes what trains (<see cref="CalibrationMethod.WithTargetLabels"/>):
    /// <c>dann</c> with labeled epochs trains as <c>dann_semi</c>, <c>dann_semi</c> without as <c>dann</c>.
    /// </summary>
    public required string Requested { get; init; }

    /// <summary>The score on the holdout epochs (<see cref="TargetSplit.HoldoutPerClass"/>), or null without a holdout.</summary>
    public TargetScore? HoldoutScore { get; init; }
}

/// <summary>A trained network kept for the caller (a model file, a figure), with everything needed to decode.</summary>
/// <param name="Method">Its method.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Model">The network (an ensemble joined into one); the caller disposes it.</param>
/// <param name="Definition">The pipeline variant it decodes (with or without alignment).</param>
/// <param name="Fitted">The fitted pipeline: filter designs, the fold's subjects' alignments, standardisation.</param>
/// <param name="Members">Training results of every member (curves), in seed order.</param>
public sealed record KeptModel(CalibrationMethod Method, int Seed, TrainedModel Model, Definitions.PipelineDefinition Definition, FittedPipeline Fitted, IReadOnlyList<TrainingResult> Members);

/// <summary>What one fold produced.</summary>
public sealed class FoldOutcome : IDisposable
{
    private readonly OwnedSet<TrainedModel> _models;

    /// <summary>Creates the outcome; it takes over <paramref name="models"/> (the kept networks), which it disposes.</summary>
    internal FoldOutcome(CrossSubjectFold fold, IReadOnlyList<MethodRun> runs, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> scored, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> labeledTarget, IReadOnlyList<KeptModel> kept, OwnedSet<TrainedModel> models, FoldTimings timings, IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>>? holdout = null)
    {
        _models = models;
        Holdout = holdout ?? scored.ToDictionary(p => p.Key, _ => (IReadOnlyList<EpochInfo>)[]);
        Fold = fold;
        Runs = runs;
        Scored = scored;
        LabeledTarget = labeledTarget;
        Kept = kept;
        Timings = timings;
    }

    /// <summary>The fold.</summary>
    public CrossSubjectFold Fold { get; }

    /// <summary>Every method × seed, in request order.</summary>
    public IReadOnlyList<MethodRun> Runs { get; }

    /// <summary>By seed, the target epochs scored (all cue epochs except the labeled ones that joined training).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> Scored { get; }

    /// <summary>By seed, the target epochs whose labels joined training (semi-supervised; drawn from the seed), else empty.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> LabeledTarget { get; }

    /// <summary>By seed, the holdout epochs (labels kept only to estimate the accuracy), else empty.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<EpochInfo>> Holdout { get; }

    /// <summary>Networks kept as asked.</summary>
    public IReadOnlyList<KeptModel> Kept { get; }

    /// <summary>Where the time went.</summary>
    public FoldTimings Timings { get; }

    /// <inheritdoc />
    /// <remarks>Disposes every kept network once (two kept runs may share one network: a network asked for twice is trained once).</remarks>
    public void Dispose() => _models.Dispose();
}

/// <summary>Wall times of one fold, s.</summary>
/// <param name="FeaturesSeconds">Feature rows (cached per subject after the first fold that needs them).</param>
/// <param name="NetworksSeconds">Every network of the fold, trained together.</param>
/// <param name="NetworkCount">Networks trained.</param>
/// <param name="CspLdaSeconds">The CSP + LDA baselines.</param>
public sealed record FoldTimings(double FeaturesSeconds, double NetworksSeconds, int NetworkCount, double CspLdaSeconds);
