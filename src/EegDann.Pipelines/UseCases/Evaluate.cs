// Why one file over 400 lines: the evaluate use case with its public contract (request, protocol,
// rows, summaries, result) and its plan (units, jobs, shards, their merge). The records are the
// use case's vocabulary and change with it (issue 12 §2-3 rework it: one trainer, N classes); they
// can move to a file of their own once that settles.
using System.Diagnostics;
using EegDann.Core;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Logging;

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

/// <summary>
/// <c>eegdann evaluate</c>: cross-subject evaluation of methods on a directory of recordings —
/// leave-one-subject-out or every ordered pair — with per-subject features cached across folds
/// and methods, all networks of a fold trained together, and the target's labels used only to
/// score (and, with <see cref="EvaluateRequest.TargetLabeledPerClass"/>, for that many epochs per class).
/// </summary>
public static class Evaluate
{
    /// <summary>Samples per-epoch diagnostics are measured on in evaluation (no curves are reported; divergence is still checked).</summary>
    public const int EvaluationDiagnosticSamples = 128;

    /// <summary>The methods evaluated when none are named: the baselines, plain DANN with and without alignment, the pipeline's own method and its no-adaptation twin.</summary>
    public static IReadOnlyList<string> DefaultMethods(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var own = CalibrationMethod.Of(definition);
        return CalibrationMethod.BaselineNames.Concat(["dann", "ea_dann"]).Append(own.NoAdaptationTwin?.Name ?? own.Name).Append(own.Name).Distinct().ToArray();
    }

    /// <summary>Runs the evaluation.</summary>
    /// <exception cref="CalibrationInputException">When the pipeline, the directory or a recording is unusable (named in the message).</exception>
    public static async Task<EvaluationResult> RunAsync(EvaluateRequest request, ILogger logger, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        if (request.Shard is not null)
        {
            throw new CalibrationInputException("a shard's rows are not a whole evaluation: run it with RunShardAsync (evaluate --shard K/N --out DIR), then merge.");
        }

        var total = Stopwatch.StartNew();
        var plan = await PlanAsync(request, logger, cancellationToken);
        var jobs = plan.Folds.SelectMany(f => plan.Counts.Select(k => new Job(f, k, plan.Seeds, plan.Methods))).ToArray();
        var (rows, networks) = await RunJobsAsync(plan, jobs, request.Parallelism, logger, progress, cancellationToken);
        var result = Summarise(plan.Description, rows, total.Elapsed.TotalSeconds, plan.LoadSeconds, networks);
        foreach (var m in plan.Methods)
        {
            logger.LogInformation("{Method}: {Mean:F3} ± {Sd:F3}", m.Name, result.Summary[m.Name].Mean, result.Summary[m.Name].Sd);
        }

        if (request.ReportDirectory is { } reportDirectory)
        {
            await EvaluationReport.WriteAsync(result, reportDirectory, cancellationToken);
            logger.LogInformation("Wrote the report to {Directory}", reportDirectory);
        }

        logger.LogInformation("Evaluation took {Seconds:F1} s ({Networks} networks)", result.Seconds, result.Networks);
        return result;
    }

    /// <summary>
    /// Runs shard K of N (<see cref="EvaluateRequest.Shard"/>): the units of <see cref="Units"/> at
    /// positions K − 1, K − 1 + N, …, and writes their rows to <c>part-K-of-N.parquet</c> in
    /// <see cref="EvaluateRequest.OutputDirectory"/>, atomically (a shard that dies leaves no part
    /// file; running it again is safe). A unit's rows depend only on its inputs and seed, so any split
    /// gives the numbers of the whole run; <see cref="EvaluationParts.MergeAsync"/> puts them together.
    /// </summary>
    /// <returns>The part file written and how many units and rows it holds.</returns>
    /// <exception cref="CalibrationInputException">When the request is unusable (named in the message).</exception>
    public static async Task<ShardOutcome> RunShardAsync(EvaluateRequest request, ILogger logger, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        var shard = request.Shard ?? throw new CalibrationInputException("no shard given (--shard K/N, or a job array's environment).");
        var output = request.OutputDirectory ?? throw new CalibrationInputException($"shard {shard}: --out DIR is needed (where part-{shard.Index}-of-{shard.Count}.parquet goes).");
        var total = Stopwatch.StartNew();
        var plan = await PlanAsync(request, logger, cancellationToken);
        var units = Units(plan);
        var mine = units.Where(u => shard.Contains(u.Index)).ToArray();

        // One runner call per (fold, K, seed) with this shard's methods of it: the fold's features are computed once.
        var jobs = mine.GroupBy(u => (Fold: FoldKey(u.Fold), u.Labeled, u.Seed))
            .Select(g => new Job(g.First().Fold, g.Key.Labeled, [g.Key.Seed], plan.Methods.Where(m => g.Any(u => u.Method == m.Name)).ToArray()))
            .ToArray();
        logger.LogInformation("Shard {Shard}: {Mine} of {Units} units (fold × K × method × seed) in {Jobs} runs", shard, mine.Length, units.Count, jobs.Length);
        var (rows, networks) = await RunJobsAsync(plan, jobs, request.Parallelism, logger, progress, cancellationToken);
        var index = units.ToDictionary(u => (FoldKey(u.Fold), u.Labeled, u.Seed, u.Method), u => u.Index);
        var numbered = rows.Select(r => (Unit: index[(FoldKey(new CrossSubjectFold(r.Target, r.Sources)), r.TargetLabeled, r.Seed, r.Method)], Row: r)).OrderBy(x => x.Unit).ToArray();
        string path = Path.Combine(output, shard.FileName);
        await EvaluationParts.WriteAsync(path, shard, plan.Description, units.Count, numbered, total.Elapsed.TotalSeconds, plan.LoadSeconds, networks, cancellationToken);
        logger.LogInformation("Shard {Shard}: wrote {Rows} rows to {Path} in {Seconds:F1} s ({Networks} networks)", shard, numbered.Length, path, total.Elapsed.TotalSeconds, networks);
        return new ShardOutcome(path, mine.Length, units.Count, numbered.Length);
    }

    /// <summary>
    /// Every unit of the evaluation, in a fixed order: fold (targets in order; for pairs each target's
    /// sources in order) × labeled count (as listed) × method (as listed) × seed (as listed), numbered
    /// from 0. The order is that of an unsharded run's rows.
    /// </summary>
    internal static IReadOnlyList<EvaluationUnit> Units(EvaluationPlan plan)
    {
        var units = new List<EvaluationUnit>();
        foreach (var fold in plan.Folds)
        {
            foreach (int k in plan.Counts)
            {
                foreach (var method in plan.Methods)
                {
                    foreach (int seed in plan.Seeds)
                    {
                        units.Add(new EvaluationUnit(units.Count, fold, k, seed, method.Name));
                    }
                }
            }
        }

        return units;
    }

    /// <summary>Reads the data and works out targets, sources, folds and methods: everything but training.</summary>
    internal static async Task<EvaluationPlan> PlanAsync(EvaluateRequest request, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var definition = LoadPipeline(request.PipelinePath);
        if (request.SourceRuns is { } sourceRuns)
        {
            definition = definition.WithSourceRuns(sourceRuns);
        }

        var methods = ParseMethods(request.Methods ?? DefaultMethods(definition), definition);
        if (request.Seeds.Count == 0)
        {
            throw new CalibrationInputException("no seeds given.");
        }

        if (request.Seeds.Any(s => s < 0))
        {
            throw new CalibrationInputException($"seeds must be ≥ 0, got {string.Join(",", request.Seeds)}.");
        }

        var counts = request.LabeledCounts;
        if (counts.Any(k => k < 0) || counts.Distinct().Count() != counts.Count)
        {
            throw new CalibrationInputException($"--target-labeled must list distinct counts ≥ 0, got {string.Join(",", counts)}.");
        }

        if (request.TargetHoldoutPerClass < 0)
        {
            throw new CalibrationInputException($"--target-holdout must be ≥ 0, got {request.TargetHoldoutPerClass}.");
        }

        if (request.Parallelism < 1)
        {
            throw new CalibrationInputException($"parallelism must be ≥ 1, got {request.Parallelism}.");
        }

        var protocol = request.Protocol;
        if (request.SourcesDirectory != null)
        {
            protocol = protocol == EvaluationProtocol.Pairs
                ? throw new CalibrationInputException("--sources gives a bank of sources for every target; it does not combine with --protocol pairs.")
                : EvaluationProtocol.Sources;
        }
        else if (protocol == EvaluationProtocol.Sources)
        {
            throw new CalibrationInputException("the sources protocol needs --sources DIR (the labeled source subjects).");
        }

        var recordings = new List<(string Name, Core.Recording Recording)>();
        foreach (var directory in new[] { request.DataDirectory }.Concat(request.MoreDataDirectories))
        {
            recordings.AddRange(await RecordingFiles.ReadDirectoryAsync(directory, definition, logger, cancellationToken));
        }

        var targetPeople = recordings.Select(r => r.Recording.Metadata.Subject).ToHashSet(StringComparer.Ordinal);
        if (request.SourcesDirectory is { } sourcesDirectory)
        {
            var bank = await RecordingFiles.ReadDirectoryAsync(sourcesDirectory, definition, logger, cancellationToken);
            var both = bank.Select(r => r.Recording.Metadata.Subject).Where(targetPeople.Contains).Distinct().Order(StringComparer.Ordinal).ToArray();
            if (both.Length > 0)
            {
                throw new CalibrationInputException($"{sourcesDirectory}: subject(s) {string.Join(", ", both)} are also in {request.DataDirectory}; a bank's sources and the new people must be different subjects.");
            }

            recordings.AddRange(bank);
        }

        var data = CalibrationData.Create(definition, recordings, cancellationToken: cancellationToken);
        var split = new TargetSplit(0, request.TargetHoldoutPerClass, counts.Max());
        // Targets: the people of --data with target runs (for the sources protocol only those); sources: every group of another person (of the bank, for the sources protocol).
        var targets = data.Subjects.Values.Where(s => !s.IsSourceOnly && targetPeople.Contains(s.Person)).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray();
        var sourcePool = (protocol == EvaluationProtocol.Sources
            ? data.Subjects.Values.Where(s => !targetPeople.Contains(s.Person))
            : data.Subjects.Values).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray();
        foreach (var subject in sourcePool.Concat(targets).Distinct())
        {
            RecordingFiles.CheckLabeled(data.Subjects[subject], definition, targets.Contains(subject) ? split.NeededPerClass - 1 : 0);
        }

        var subjects = protocol == EvaluationProtocol.Sources ? targets : data.Subjects.Values.Where(s => !s.IsSourceOnly).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray();
        if (protocol != EvaluationProtocol.Sources && subjects.Length < 2)
        {
            throw new CalibrationInputException($"{request.DataDirectory}: cross-subject evaluation needs at least two subjects, found {subjects.Length} ({string.Join(", ", subjects)}).");
        }

        if (targets.Length == 0 || sourcePool.Length == 0)
        {
            throw new CalibrationInputException($"{request.DataDirectory}: no {(targets.Length == 0 ? "target" : "source")} subjects with the paradigm's runs.");
        }

        double loadSeconds = clock.Elapsed.TotalSeconds;
        logger.LogInformation("Evaluating {MethodCount} methods × {SeedCount} seeds × {CountCount} labeled counts, protocol {Protocol}, on {SubjectCount} targets ({Subjects}) in {Seconds:F1} s of loading",
            methods.Count, request.Seeds.Count, counts.Count, protocol, targets.Length, string.Join(",", targets), loadSeconds);
        var folds = protocol switch
        {
            EvaluationProtocol.Pairs => targets.SelectMany(t => sourcePool.Where(s => !data.Subjects[s].IsSourceOnly && data.Subjects[s].Person != data.Subjects[t].Person).Select(s => new CrossSubjectFold(t, [s]))).ToArray(),
            _ => targets.Select(t => new CrossSubjectFold(t, data.SourcesFor(data.Subjects[t].Person, sourcePool))).ToArray(),
        };
        var description = new EvaluationDescription(
            definition.Name,
            Sha256(definition.Json),
            protocol,
            targets,
            methods.Select(m => m.Name).ToArray(),
            CalibrationMethod.Of(definition).Name,
            request.Seeds.ToArray(),
            counts.ToArray(),
            request.TargetHoldoutPerClass,
            protocol == EvaluationProtocol.Sources ? sourcePool : [],
            definition.Paradigm.SourceRuns.ToArray(),
            definition.Paradigm.TargetRuns.ToArray(),
            folds.Select(f => new FoldDescription(f.Target, f.Sources.ToArray())).ToArray(),
            definition.ClassNames.ToArray());
        return new EvaluationPlan(data, methods, request.Seeds, counts, split, folds, description, loadSeconds, request.FeatureCacheDirectory);
    }

    /// <summary>Trains and scores the jobs (in parallel), rows in job order.</summary>
    private static async Task<(EvaluationRow[] Rows, int Networks)> RunJobsAsync(EvaluationPlan plan, IReadOnlyList<Job> jobs, int parallelism, ILogger logger, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var runner = new CrossSubjectRunner(plan.Data, plan.FeatureCacheDirectory) { DiagnosticSamples = EvaluationDiagnosticSamples };
        var outcomes = new (FoldOutcome Outcome, int Labeled)[jobs.Count];
        int done = 0;
        var training = progress is null ? null : new FoldProgress(progress);
        progress?.Report(new WorkProgress("evaluate", 0, jobs.Count, $"{jobs.Count} folds"));
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count), options, (i, token) =>
        {
            var job = jobs[i];
            var outcome = runner.Run(job.Fold, job.Methods, job.Seeds, plan.Split with { LabeledPerClass = job.Labeled }, null, training, token);
            outcomes[i] = (outcome, job.Labeled);
            int n = Interlocked.Increment(ref done);
            var best = outcome.Runs.Where(r => r.Score != null).GroupBy(r => r.Method.Name).Select(g => $"{g.Key} {g.Average(r => r.Score!.Accuracy):F3}");
            logger.LogInformation("Fold {Target} ← {Sources} (K = {Labeled}): {Scores} ({Networks} networks in {Seconds:F1} s)",
                job.Fold.Target, Describe(job.Fold.Sources), job.Labeled, string.Join(", ", best), outcome.Timings.NetworkCount, outcome.Timings.NetworksSeconds);
            progress?.Report(new WorkProgress("evaluate", n, jobs.Count, $"fold {job.Fold.Target} done"));
            return ValueTask.CompletedTask;
        });

        var rows = outcomes.SelectMany(o => o.Outcome.Runs.Select(r => new EvaluationRow(
            o.Outcome.Fold.Target,
            o.Outcome.Fold.Sources,
            r.Seed,
            MethodName(r, plan.Methods),
            r.Score?.Accuracy ?? double.NaN,
            r.Score?.BalancedAccuracy ?? double.NaN,
            o.Outcome.Scored[r.Seed].Count,
            r.Failure?.ToString())
        {
            TargetLabeled = o.Labeled,
            HoldoutAccuracy = r.HoldoutScore?.Accuracy ?? double.NaN,
            HoldoutEpochs = o.Outcome.Holdout[r.Seed].Count,
            Confusion = r.Score?.Confusion,
        })).ToArray();
        int networks = outcomes.Sum(o => o.Outcome.Timings.NetworkCount);
        foreach (var (outcome, _) in outcomes)
        {
            outcome.Dispose();
        }

        return (rows, networks);
    }

    /// <summary>
    /// The result of an evaluation from its rows: the per-method summary, paired comparisons, the
    /// learning curve and holdout checks. The whole run and a merge of its shards both end here, so
    /// the same rows give the same summary and report.
    /// </summary>
    internal static EvaluationResult Summarise(EvaluationDescription run, IReadOnlyList<EvaluationRow> rows, double seconds, double loadSeconds, int networks)
    {
        var methods = run.Methods.Select(CalibrationMethod.Parse).ToArray();
        var counts = run.LabeledCounts;
        var targets = run.Targets;
        var mainRows = rows.Where(r => r.TargetLabeled == counts[0]).ToArray();
        var summary = methods.ToDictionary(
            m => m.Name,
            m =>
            {
                var values = mainRows.Where(r => r.Method == m.Name).Select(r => r.Accuracy).ToArray();
                var seedMeans = run.Seeds.ToDictionary(s => s, s => mainRows.Where(r => r.Method == m.Name && r.Seed == s).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average());
                return new MethodSummary(values.Average(), Sd(values), seedMeans) { Interval = Statistics.MeanInterval(PerTarget(mainRows, m.Name, targets)) };
            },
            StringComparer.Ordinal);
        return new EvaluationResult(
            run.Pipeline,
            run.Protocol,
            targets,
            run.Methods,
            run.DefaultMethod,
            run.Seeds,
            counts[0],
            rows,
            summary,
            seconds,
            loadSeconds,
            networks)
        {
            ClassNames = run.ClassNames,
            LabeledCounts = counts,
            HoldoutPerClass = run.HoldoutPerClass,
            SourceSubjects = run.SourceSubjects,
            Runs = (run.SourceRuns, run.TargetRuns),
            Comparisons = Comparisons(methods, CalibrationMethod.Parse(run.DefaultMethod), mainRows, targets, summary),
            LearningCurve = methods.SelectMany(m => counts.Select(k =>
            {
                var at = rows.Where(r => r.Method == m.Name && r.TargetLabeled == k).ToArray();
                var values = at.Select(r => r.Accuracy).ToArray();
                return new CurvePoint(m.Name, k, values.DefaultIfEmpty(double.NaN).Average(), Sd(values), Statistics.MeanInterval(PerTarget(at, m.Name, targets)));
            })).ToArray(),
            HoldoutChecks = run.HoldoutPerClass == 0 ? [] : methods.Select(m =>
            {
                var at = mainRows.Where(r => r.Method == m.Name && double.IsFinite(r.Accuracy) && double.IsFinite(r.HoldoutAccuracy)).ToArray();
                return new HoldoutCheck(
                    m.Name,
                    at.Select(r => r.HoldoutAccuracy).DefaultIfEmpty(double.NaN).Average(),
                    at.Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average(),
                    at.Select(r => Math.Abs(r.HoldoutAccuracy - r.Accuracy)).DefaultIfEmpty(double.NaN).Average(),
                    at.Length == 0 ? double.NaN : at.Count(r => Statistics.Wilson(r.HoldoutAccuracy, r.HoldoutEpochs).Contains(r.Accuracy)) / (double)at.Length);
            }).ToArray(),
        };
    }

    /// <summary>A fold as text: <c>TARGET&lt;-S1,S2,…</c>.</summary>
    internal static string FoldKey(CrossSubjectFold fold) => $"{fold.Target}<-{string.Join(",", fold.Sources)}";

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Per target, the mean accuracy of <paramref name="method"/> over its rows (seeds, and sources for pairs).</summary>
    internal static double[] PerTarget(IEnumerable<EvaluationRow> rows, string method, IReadOnlyList<string> targets)
    {
        var byTarget = rows.Where(r => r.Method == method).GroupBy(r => r.Target).ToDictionary(g => g.Key, g => g.Average(r => r.Accuracy), StringComparer.Ordinal);
        return targets.Select(t => byTarget.GetValueOrDefault(t, double.NaN)).ToArray();
    }

    /// <summary>The default against its no-adaptation twin, and against the best classic baseline (by mean), when they were run.</summary>
    private static PairedComparison[] Comparisons(IReadOnlyList<CalibrationMethod> methods, CalibrationMethod own, IReadOnlyList<EvaluationRow> rows, IReadOnlyList<string> targets, IReadOnlyDictionary<string, MethodSummary> summary)
    {
        var names = methods.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        if (!names.Contains(own.Name))
        {
            return [];
        }

        var baselines = new List<string>();
        if (own.NoAdaptationTwin is { } twin && names.Contains(twin.Name) && twin.Name != own.Name)
        {
            baselines.Add(twin.Name);
        }

        var classic = methods.Where(m => m.IsClassic).OrderByDescending(m => summary[m.Name].Mean).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
        if (classic != null)
        {
            baselines.Add(classic.Name);
        }

        return baselines.Select(b => Statistics.Compare(own.Name, b, targets, PerTarget(rows, own.Name, targets), PerTarget(rows, b, targets))).ToArray();
    }

    private static string MethodName(MethodRun run, IReadOnlyList<CalibrationMethod> methods) =>
        methods.FirstOrDefault(m => m.Name == run.Method.Name)?.Name ?? methods.First(m => m.WithTargetLabels(1) == run.Method).Name;

    private static string Describe(IReadOnlyList<string> sources) => sources.Count <= 3 ? string.Join(",", sources) : $"{sources.Count} subjects";

    private static double Sd(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    internal static PipelineDefinition LoadPipeline(string path)
    {
        try
        {
            return PipelineDefinitionLoader.Load(path);
        }
        catch (PipelineDefinitionException e)
        {
            throw new CalibrationInputException(e.Message, e);
        }
    }

    internal static IReadOnlyList<CalibrationMethod> ParseMethods(IReadOnlyList<string> names, PipelineDefinition definition)
    {
        var methods = new List<CalibrationMethod>();
        foreach (var name in names)
        {
            CalibrationMethod method;
            try
            {
                method = CalibrationMethod.Parse(name);
            }
            catch (ArgumentException e)
            {
                throw new CalibrationInputException(e.Message, e);
            }

            if (methods.All(m => m.Name != method.Name))
            {
                methods.Add(method);
            }
        }

        return methods.Count > 0 ? methods : throw new CalibrationInputException("no methods given.");
    }

    /// <summary>Maps the trainer's per-epoch reports onto one "train" bar.</summary>
    private sealed class FoldProgress(IProgress<WorkProgress> inner) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => inner.Report(value with { Task = "train" , Detail = $"{value.Task}: {value.Detail}" });
    }
}

/// <summary>One unit of an evaluation: one method with one seed and one labeled count on one fold.</summary>
/// <param name="Index">Its place in <see cref="Evaluate.Units"/>, from 0.</param>
/// <param name="Fold">Target and sources.</param>
/// <param name="Labeled">Labeled target epochs per class in training.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Method">The method's name.</param>
internal sealed record EvaluationUnit(int Index, CrossSubjectFold Fold, int Labeled, int Seed, string Method);

/// <summary>One runner call: these methods with these seeds at one labeled count on one fold.</summary>
internal sealed record Job(CrossSubjectFold Fold, int Labeled, IReadOnlyList<int> Seeds, IReadOnlyList<CalibrationMethod> Methods);

/// <summary>An evaluation ready to train: the data and everything worked out from the request.</summary>
internal sealed record EvaluationPlan(
    CalibrationData Data,
    IReadOnlyList<CalibrationMethod> Methods,
    IReadOnlyList<int> Seeds,
    IReadOnlyList<int> Counts,
    TargetSplit Split,
    IReadOnlyList<CrossSubjectFold> Folds,
    EvaluationDescription Description,
    double LoadSeconds,
    string? FeatureCacheDirectory);

/// <summary>A fold as written in a part file.</summary>
/// <param name="Target">The target subject.</param>
/// <param name="Sources">The source subjects, in order.</param>
public sealed record FoldDescription(string Target, IReadOnlyList<string> Sources);

/// <summary>
/// What an evaluation is, independent of how it was split: enough to check that part files belong
/// to the same evaluation and to summarise their rows. Every part file carries it.
/// </summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="PipelineSha256">SHA-256 of the pipeline file's JSON.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Targets">Target subjects, sorted.</param>
/// <param name="Methods">Method names, in order.</param>
/// <param name="DefaultMethod">The pipeline's own method.</param>
/// <param name="Seeds">Seeds, in order.</param>
/// <param name="LabeledCounts">Labeled counts, in order.</param>
/// <param name="HoldoutPerClass">Holdout epochs per class.</param>
/// <param name="SourceSubjects">The sources protocol's bank (empty otherwise).</param>
/// <param name="SourceRuns">The paradigm's source runs.</param>
/// <param name="TargetRuns">The paradigm's target runs.</param>
/// <param name="Folds">Every fold, in order.</param>
/// <param name="ClassNames">The pipeline's classes, in the order of the rows' confusion matrices.</param>
public sealed record EvaluationDescription(
    string Pipeline,
    string PipelineSha256,
    EvaluationProtocol Protocol,
    IReadOnlyList<string> Targets,
    IReadOnlyList<string> Methods,
    string DefaultMethod,
    IReadOnlyList<int> Seeds,
    IReadOnlyList<int> LabeledCounts,
    int HoldoutPerClass,
    IReadOnlyList<string> SourceSubjects,
    IReadOnlyList<string> SourceRuns,
    IReadOnlyList<string> TargetRuns,
    IReadOnlyList<FoldDescription> Folds,
    IReadOnlyList<string> ClassNames)
{
    /// <summary>Units: folds × labeled counts × methods × seeds.</summary>
    public int UnitCount => Folds.Count * LabeledCounts.Count * Methods.Count * Seeds.Count;

    /// <summary>What unit <paramref name="index"/> is, in words (for messages about missing or repeated units).</summary>
    public string DescribeUnit(int index)
    {
        int s = index % Seeds.Count, rest = index / Seeds.Count;
        int m = rest % Methods.Count;
        rest /= Methods.Count;
        int k = rest % LabeledCounts.Count;
        int f = rest / LabeledCounts.Count;
        var fold = Folds[f];
        string sources = fold.Sources.Count <= 3 ? string.Join(",", fold.Sources) : $"{fold.Sources.Count} subjects";
        return $"unit {index} ({fold.Target} <- {sources}, K = {LabeledCounts[k]}, {Methods[m]}, seed {Seeds[s]})";
    }
}

/// <summary>What a shard run wrote.</summary>
/// <param name="PartPath">The part file.</param>
/// <param name="Units">Units this shard ran.</param>
/// <param name="TotalUnits">Units of the whole evaluation.</param>
/// <param name="Rows">Rows written (one per unit).</param>
public sealed record ShardOutcome(string PartPath, int Units, int TotalUnits, int Rows);

