// The evaluate use case: a whole run, a shard's run and the parallel training of their jobs. Its plan is
// in Evaluate.Plan.cs, its summary in Evaluate.Summary.cs, its public records in EvaluateRecords.cs.
using System.Diagnostics;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using Microsoft.Extensions.Logging;

namespace EegDann.Pipelines.UseCases;

/// <summary>
/// <c>eegdann evaluate</c>: cross-subject evaluation of methods on a directory of recordings —
/// leave-one-subject-out or every ordered pair — with per-subject features cached across folds
/// and methods, all networks of a fold trained together, and the target's labels used only to
/// score (and, with <see cref="EvaluateRequest.TargetLabeledPerClass"/>, for that many epochs per class).
/// </summary>
public static partial class Evaluate
{
    /// <summary>Samples per-epoch diagnostics are measured on in evaluation (no curves are reported; divergence is still checked).</summary>
    public const int EvaluationDiagnosticSamples = 128;

    /// <summary>The methods evaluated when none are named: the baselines, plain DANN with and without alignment, the pipeline's own method and its no-adaptation twin.</summary>
    public static IReadOnlyList<string> DefaultMethods(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var own = CalibrationMethod.Of(definition);
        return CalibrationMethod.BaselineNames.Concat([CalibrationMethod.NameOf(TrainingMethod.Dann), CalibrationMethod.NameOf(TrainingMethod.Dann, aligned: true)]).Append(own.NoAdaptationTwin?.Name ?? own.Name).Append(own.Name).Distinct().ToArray();
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
        var index = units.ToDictionary(u => (FoldKey(u.Fold), u.Labeled, u.Seed, u.Method), u => u.Index);
        (int Unit, EvaluationRow Row)[] Numbered(IEnumerable<EvaluationRow> rows) =>
            rows.Select(r => (index[(FoldKey(new CrossSubjectFold(r.Target, r.Sources)), r.TargetLabeled, r.Seed, r.Method)], r)).ToArray();

        // Each finished run is kept in part-K-of-N.runs/ until the part file is written, so a shard
        // that is stopped (SIGTERM from a scheduler's time limit or preemption, Ctrl-C) and run again
        // computes only the runs it had not finished; a run's rows depend only on its inputs and seed.
        string path = Path.Combine(output, shard.FileName);
        string journal = EvaluationParts.JournalFolder(path);
        var unitsOfRun = jobs.Select(j => (IReadOnlySet<int>)j.Methods.Select(m => index[(FoldKey(j.Fold), j.Labeled, j.Seeds[0], m.Name)]).ToHashSet()).ToArray();
        var kept = await EvaluationParts.ReadJournalAsync(journal, shard, plan.Description, unitsOfRun, logger, cancellationToken);
        var todo = Enumerable.Range(0, jobs.Length).Where(j => !kept.ContainsKey(j)).ToArray();
        if (kept.Count > 0)
        {
            logger.LogInformation("Shard {Shard}: {Kept} of {Jobs} runs were finished by an earlier attempt (kept in {Journal}); computing the other {Todo}", shard, kept.Count, jobs.Length, journal, todo.Length);
        }

        Directory.CreateDirectory(journal);
        EvaluationRow[] rows;
        int networks;
        try
        {
            (rows, networks) = await RunJobsAsync(plan, todo.Select(j => jobs[j]).ToArray(), request.Parallelism, logger, progress, cancellationToken, (i, runRows, runNetworks, seconds) =>
                EvaluationParts.KeepRunAsync(journal, todo[i], shard, plan.Description, units.Count, Numbered(runRows), seconds, runNetworks));
        }
        catch (OperationCanceledException)
        {
            int finished = Directory.GetFiles(journal, "run-*.parquet").Length;
            logger.LogWarning("Shard {Shard}: stopped; {Finished} of {Jobs} runs are kept in {Journal}: the same command computes the others", shard, finished, jobs.Length, journal);
            throw;
        }

        var numbered = kept.Values.SelectMany(k => k.Rows).Concat(Numbered(rows)).OrderBy(x => x.Unit).ToArray();
        networks += kept.Values.Sum(k => k.Networks);
        double seconds = total.Elapsed.TotalSeconds + kept.Values.Sum(k => k.Seconds);
        await EvaluationParts.WriteAsync(path, shard, plan.Description, units.Count, numbered, seconds, plan.LoadSeconds, networks, cancellationToken);
        Directory.Delete(journal, recursive: true);
        logger.LogInformation("Shard {Shard}: wrote {Rows} rows to {Path} in {Seconds:F1} s ({Networks} networks)", shard, numbered.Length, path, total.Elapsed.TotalSeconds, networks);
        return new ShardOutcome(path, mine.Length, units.Count, numbered.Length);
    }

    /// <summary>
    /// Trains and scores the jobs (in parallel), rows in job order; <c>finished</c>, when given, is
    /// called with each finished job's index, rows, network count and seconds before its worker
    /// takes the next job.
    /// </summary>
    private static async Task<(EvaluationRow[] Rows, int Networks)> RunJobsAsync(EvaluationPlan plan, IReadOnlyList<Job> jobs, int parallelism, ILogger logger, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, Func<int, EvaluationRow[], int, double, Task>? finished = null)
    {
        var runner = new CrossSubjectRunner(plan.Data, plan.FeatureCacheDirectory) { DiagnosticSamples = EvaluationDiagnosticSamples };
        var outcomes = new (FoldOutcome Outcome, int Labeled)[jobs.Count];
        int done = 0;
        var training = progress is null ? null : new FoldProgress(progress);
        progress?.Report(new WorkProgress("evaluate", 0, jobs.Count, $"{jobs.Count} folds"));
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count), options, async (i, token) =>
        {
            var job = jobs[i];
            var clock = Stopwatch.StartNew();
            var outcome = runner.Run(job.Fold, job.Methods, job.Seeds, plan.Split with { LabeledPerClass = job.Labeled }, null, training, token);
            outcomes[i] = (outcome, job.Labeled);
            if (finished is not null)
            {
                await finished(i, RowsOf(outcome, job.Labeled), outcome.Timings.NetworkCount, clock.Elapsed.TotalSeconds);
            }

            int n = Interlocked.Increment(ref done);
            var best = outcome.Runs.Where(r => r.Score != null).GroupBy(r => r.Requested).Select(g => $"{g.Key} {g.Average(r => r.Score!.Accuracy):F3}");
            logger.LogInformation("Fold {Target} ← {Sources} (K = {Labeled}): {Scores} ({Networks} networks in {Seconds:F1} s)",
                job.Fold.Target, Describe(job.Fold.Sources), job.Labeled, string.Join(", ", best), outcome.Timings.NetworkCount, outcome.Timings.NetworksSeconds);
            progress?.Report(new WorkProgress("evaluate", n, jobs.Count, $"fold {job.Fold.Target} done"));
        });

        var rows = outcomes.SelectMany(o => RowsOf(o.Outcome, o.Labeled)).ToArray();
        int networks = outcomes.Sum(o => o.Outcome.Timings.NetworkCount);
        foreach (var (outcome, _) in outcomes)
        {
            outcome.Dispose();
        }

        return (rows, networks);
    }

    private static EvaluationRow[] RowsOf(FoldOutcome outcome, int labeled) => outcome.Runs.Select(r => new EvaluationRow(
            outcome.Fold.Target,
            outcome.Fold.Sources,
            r.Seed,
            r.Requested,
            r.Score?.Accuracy ?? double.NaN,
            r.Score?.BalancedAccuracy ?? double.NaN,
            outcome.Scored[r.Seed].Count,
            r.Failure?.ToString())
        {
            TargetLabeled = labeled,
            HoldoutAccuracy = r.HoldoutScore?.Accuracy ?? double.NaN,
            HoldoutEpochs = outcome.Holdout[r.Seed].Count,
            Confusion = r.Score?.Confusion,
        }).ToArray();

    /// <summary>A fold as text: <c>TARGET&lt;-S1,S2,…</c>.</summary>
    internal static string FoldKey(CrossSubjectFold fold) => $"{fold.Target}<-{string.Join(",", fold.Sources)}";

    private static string Describe(IReadOnlyList<string> sources) => sources.Count <= 3 ? string.Join(",", sources) : $"{sources.Count} subjects";

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
            catch (MethodNameException e)
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
