// The evaluate use case's public contract: the protocols, the request, one row per unit, the learning
// curve's points, holdout checks, per-method summaries, the result and what a shard run wrote.
using EegDann.Pipelines.Calibration;

namespace EegDann.Pipelines.UseCases;

/// <summary>Cross-subject protocols.</summary>
public enum EvaluationProtocol
{
    /// <summary>Leave one subject out: each subject in turn is the unlabeled target, all others are labeled sources.</summary>
    Loso,

    /// <summary>Every ordered pair: one labeled source subject → one unlabeled target subject.</summary>
    Pairs,

    /// <summary>A bank of sources serving new people: every subject of the sources directory is a labeled source, every subject of the data directory in turn the unlabeled target.</summary>
    Sources,
}

/// <summary>What <c>evaluate</c> is asked to do.</summary>
/// <param name="PipelinePath">The pipeline file.</param>
/// <param name="DataDirectory">A directory of Parquet recordings (subjects from their metadata).</param>
/// <param name="Protocol">loso or pairs.</param>
/// <param name="Methods">Method names (null: the baselines, dann, ea_dann and the pipeline's own method).</param>
/// <param name="Seeds">Seeds (at least one).</param>
/// <param name="TargetLabeledPerClass">Labeled target epochs per class that join training and are not scored (0: unsupervised).</param>
/// <param name="ReportDirectory">Where to write the Markdown table, the per-subject figure and the JSON, or null.</param>
/// <param name="Parallelism">Folds trained at the same time (≥ 1); results do not depend on it.</param>
public sealed record EvaluateRequest(
    string PipelinePath,
    string DataDirectory,
    EvaluationProtocol Protocol,
    IReadOnlyList<string>? Methods,
    IReadOnlyList<int> Seeds,
    int TargetLabeledPerClass = 0,
    string? ReportDirectory = null,
    int Parallelism = 1)
{
    /// <summary>
    /// A learning curve: every K of the list (e.g. 0, 2, 5, 10 labeled target epochs per class) is
    /// run, and all are scored on the same epochs (those not among the largest K's); null: just
    /// <see cref="TargetLabeledPerClass"/>. The report's main table is the first K's.
    /// </summary>
    public IReadOnlyList<int>? TargetLabeledCurve { get; init; }

    /// <summary>Labeled target epochs per class kept only to estimate the accuracy (<c>--target-holdout</c>), drawn per seed; 0: none.</summary>
    public int TargetHoldoutPerClass { get; init; }

    /// <summary>The <see cref="EvaluationProtocol.Sources"/> protocol's labeled sources: a directory whose every subject is a source of every target of <see cref="EvaluateRequest.DataDirectory"/>.</summary>
    public string? SourcesDirectory { get; init; }

    /// <summary>More directories read together with <see cref="EvaluateRequest.DataDirectory"/> (e.g. a second set of runs of the same subjects).</summary>
    public IReadOnlyList<string> MoreDataDirectories { get; init; } = [];

    /// <summary>Replaces the pipeline's <c>source_runs</c> (an ablation, e.g. with and without executed-movement runs); null: the pipeline's.</summary>
    public IReadOnlyList<string>? SourceRuns { get; init; }

    /// <summary>
    /// Run only this shard's units and write their rows to <c>OutputDirectory/part-K-of-N.parquet</c>
    /// (<see cref="Evaluate.RunShardAsync"/>); null: the whole evaluation.
    /// </summary>
    public EvaluationShard? Shard { get; init; }

    /// <summary>Where a shard writes its part file (<c>--out</c>).</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>
    /// A folder for subjects' feature rows on disk, content-addressed per pipeline (shards on one node
    /// share them); null: in memory only.
    /// </summary>
    public string? FeatureCacheDirectory { get; init; }

    /// <summary>The labeled-epoch counts to run, in order.</summary>
    public IReadOnlyList<int> LabeledCounts => TargetLabeledCurve is { Count: > 0 } curve ? curve : [TargetLabeledPerClass];
}

/// <summary>One method with one seed on one fold.</summary>
/// <param name="Target">The target subject.</param>
/// <param name="Sources">The source subjects.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Method">The method's name.</param>
/// <param name="Accuracy">Target accuracy on the scored epochs (NaN when training failed).</param>
/// <param name="BalancedAccuracy">Balanced accuracy.</param>
/// <param name="ScoredEpochs">Target epochs scored.</param>
/// <param name="Failure">Why training failed, or null.</param>
public sealed record EvaluationRow(string Target, IReadOnlyList<string> Sources, int Seed, string Method, double Accuracy, double BalancedAccuracy, int ScoredEpochs, string? Failure)
{
    /// <summary>Labeled target epochs per class in training for this row.</summary>
    public int TargetLabeled { get; init; }

    /// <summary>Accuracy on the holdout epochs (the estimate a lab would make), NaN without a holdout.</summary>
    public double HoldoutAccuracy { get; init; } = double.NaN;

    /// <summary>Holdout epochs scored (0 without a holdout).</summary>
    public int HoldoutEpochs { get; init; }

    /// <summary><c>[true class][predicted class]</c> counts of the scored epochs (classes in <see cref="EvaluationResult.ClassNames"/> order), null when the method failed.</summary>
    public IReadOnlyList<IReadOnlyList<int>>? Confusion { get; init; }

    /// <summary>The Wilson 95% interval of <see cref="Accuracy"/> on <see cref="ScoredEpochs"/> trials.</summary>
    public Interval AccuracyInterval => Statistics.Wilson(Accuracy, ScoredEpochs);
}

/// <summary>One point of a learning curve: a method with K labeled target epochs per class.</summary>
/// <param name="Method">The method.</param>
/// <param name="TargetLabeled">K.</param>
/// <param name="Mean">Mean accuracy over targets × seeds.</param>
/// <param name="Sd">Population sd over targets × seeds.</param>
/// <param name="Interval">95% t-interval of the mean over targets (each target's mean over seeds).</param>
public sealed record CurvePoint(string Method, int TargetLabeled, double Mean, double Sd, Interval Interval);

/// <summary>How well the holdout estimated a method's accuracy on the rest of the target's epochs.</summary>
/// <param name="Method">The method.</param>
/// <param name="EstimateMean">Mean holdout accuracy.</param>
/// <param name="ActualMean">Mean accuracy on the scored (non-holdout) epochs.</param>
/// <param name="MeanAbsoluteError">Mean |holdout − scored| over targets × seeds.</param>
/// <param name="Coverage">Fraction of targets × seeds whose scored accuracy lies in the holdout's Wilson 95% interval.</param>
public sealed record HoldoutCheck(string Method, double EstimateMean, double ActualMean, double MeanAbsoluteError, double Coverage);

/// <summary>A method's accuracy over all rows: mean and (population) standard deviation over targets × seeds, and the mean of each seed.</summary>
/// <param name="Mean">Mean accuracy.</param>
/// <param name="Sd">Standard deviation over rows.</param>
/// <param name="SeedMeans">Mean accuracy of each seed, by seed.</param>
public sealed record MethodSummary(double Mean, double Sd, IReadOnlyDictionary<int, double> SeedMeans)
{
    /// <summary>95% t-interval of the mean over targets (each target's accuracy averaged over seeds first).</summary>
    public Interval Interval { get; init; } = new(double.NaN, double.NaN);
}

/// <summary>What <c>evaluate</c> found.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Subjects">Subjects, sorted.</param>
/// <param name="Methods">Methods in order.</param>
/// <param name="DefaultMethod">The method <c>calibrate-new-subject</c> uses by default with this pipeline.</param>
/// <param name="Seeds">Seeds.</param>
/// <param name="TargetLabeledPerClass">Labeled target epochs per class in training.</param>
/// <param name="Rows">Every fold × seed × method.</param>
/// <param name="Summary">Per method.</param>
/// <param name="Seconds">Wall time of the whole run, s.</param>
/// <param name="LoadSeconds">Reading recordings and cutting epochs, s.</param>
/// <param name="Networks">Networks trained.</param>
public sealed record EvaluationResult(
    string Pipeline,
    EvaluationProtocol Protocol,
    IReadOnlyList<string> Subjects,
    IReadOnlyList<string> Methods,
    string DefaultMethod,
    IReadOnlyList<int> Seeds,
    int TargetLabeledPerClass,
    IReadOnlyList<EvaluationRow> Rows,
    IReadOnlyDictionary<string, MethodSummary> Summary,
    double Seconds,
    double LoadSeconds,
    int Networks)
{
    /// <summary>The class names in network order (empty when not known: chance is then taken as 1/2).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Chance level 1/N for N classes (1/2 when the classes are not known).</summary>
    public double Chance => 1.0 / Math.Max(2, ClassNames.Count);

    /// <summary>
    /// A method's confusion counts summed over the main rows (targets × seeds), N × N, or null when
    /// no row of the method has one.
    /// </summary>
    public int[][]? PooledConfusion(string method)
    {
        var matrices = MainRows.Where(r => r.Method == method && r.Confusion is not null).Select(r => r.Confusion!).ToArray();
        if (matrices.Length == 0)
        {
            return null;
        }

        int n = matrices[0].Count;
        var sum = Enumerable.Range(0, n).Select(_ => new int[n]).ToArray();
        foreach (var m in matrices)
        {
            for (int t = 0; t < n; t++)
            {
                for (int p = 0; p < n; p++)
                {
                    sum[t][p] += m[t][p];
                }
            }
        }

        return sum;
    }

    /// <summary>The labeled-epoch counts run (one for a plain run; a learning curve's list).</summary>
    public IReadOnlyList<int> LabeledCounts { get; init; } = [TargetLabeledPerClass];

    /// <summary>Holdout epochs per class (0: none).</summary>
    public int HoldoutPerClass { get; init; }

    /// <summary>The source subjects of the <see cref="EvaluationProtocol.Sources"/> protocol (empty otherwise).</summary>
    public IReadOnlyList<string> SourceSubjects { get; init; } = [];

    /// <summary>Source and target runs of the paradigm as run.</summary>
    public (IReadOnlyList<string> Source, IReadOnlyList<string> Target) Runs { get; init; } = ([], []);

    /// <summary>Paired comparisons (first K): the default against its no-adaptation twin and against the best classic baseline, when both were run.</summary>
    public IReadOnlyList<PairedComparison> Comparisons { get; init; } = [];

    /// <summary>The learning curve: every method at every K.</summary>
    public IReadOnlyList<CurvePoint> LearningCurve { get; init; } = [];

    /// <summary>With a holdout: how well it estimated each method's accuracy (first K).</summary>
    public IReadOnlyList<HoldoutCheck> HoldoutChecks { get; init; } = [];

    /// <summary>Rows of the first K (the main table's).</summary>
    public IEnumerable<EvaluationRow> MainRows => Rows.Where(r => r.TargetLabeled == LabeledCounts[0]);

    /// <summary>The targets scored (the subjects, or for <see cref="EvaluationProtocol.Sources"/> the data directory's).</summary>
    public IReadOnlyList<string> Targets => Rows.Select(r => r.Target).Distinct().Order(StringComparer.Ordinal).ToArray();
}

/// <summary>What a shard run wrote.</summary>
/// <param name="PartPath">The part file.</param>
/// <param name="Units">Units this shard ran.</param>
/// <param name="TotalUnits">Units of the whole evaluation.</param>
/// <param name="Rows">Rows written (one per unit).</param>
public sealed record ShardOutcome(string PartPath, int Units, int TotalUnits, int Rows);
