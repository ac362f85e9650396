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
    int Parallelism = 1);

/// <summary>One method with one seed on one fold.</summary>
/// <param name="Target">The target subject.</param>
/// <param name="Sources">The source subjects.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Method">The method's name.</param>
/// <param name="Accuracy">Target accuracy on the scored epochs (NaN when training failed).</param>
/// <param name="BalancedAccuracy">Balanced accuracy.</param>
/// <param name="ScoredEpochs">Target epochs scored.</param>
/// <param name="Failure">Why training failed, or null.</param>
public sealed record EvaluationRow(string Target, IReadOnlyList<string> Sources, int Seed, string Method, double Accuracy, double BalancedAccuracy, int ScoredEpochs, string? Failure);

/// <summary>A method's accuracy over all rows: mean and (population) standard deviation over targets × seeds, and the mean of each seed.</summary>
/// <param name="Mean">Mean accuracy.</param>
/// <param name="Sd">Standard deviation over rows.</param>
/// <param name="SeedMeans">Mean accuracy of each seed, by seed.</param>
public sealed record MethodSummary(double Mean, double Sd, IReadOnlyDictionary<int, double> SeedMeans);

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
    int Networks);

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

    /// <summary>The methods evaluated when none are named: the issue's baselines, plain DANN with and without alignment, and the pipeline's own method.</summary>
    public static IReadOnlyList<string> DefaultMethods(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return CalibrationMethod.BaselineNames.Concat(["dann", "ea_dann", CalibrationMethod.Of(definition).Name]).Distinct().ToArray();
    }

    /// <summary>Runs the evaluation.</summary>
    /// <exception cref="CalibrationInputException">When the pipeline, the directory or a recording is unusable (named in the message).</exception>
    public static async Task<EvaluationResult> RunAsync(EvaluateRequest request, ILogger logger, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        var total = Stopwatch.StartNew();
        var definition = LoadPipeline(request.PipelinePath);
        var methods = ParseMethods(request.Methods ?? DefaultMethods(definition), definition);
        if (request.Seeds.Count == 0)
        {
            throw new CalibrationInputException("no seeds given.");
        }

        if (request.Seeds.Any(s => s < 0))
        {
            throw new CalibrationInputException($"seeds must be ≥ 0, got {string.Join(",", request.Seeds)}.");
        }

        if (request.TargetLabeledPerClass < 0)
        {
            throw new CalibrationInputException($"--target-labeled must be ≥ 0, got {request.TargetLabeledPerClass}.");
        }

        if (request.Parallelism < 1)
        {
            throw new CalibrationInputException($"parallelism must be ≥ 1, got {request.Parallelism}.");
        }

        var recordings = await RecordingFiles.ReadDirectoryAsync(request.DataDirectory, definition, logger, cancellationToken);
        var data = CalibrationData.Create(definition, recordings, cancellationToken: cancellationToken);
        var subjects = data.Subjects.Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var subject in subjects)
        {
            var s = data.Subjects[subject];
            RecordingFiles.CheckLabeled(s, definition, request.TargetLabeledPerClass);
        }

        if (subjects.Length < 2)
        {
            throw new CalibrationInputException($"{request.DataDirectory}: cross-subject evaluation needs at least two subjects, found {subjects.Length} ({string.Join(", ", subjects)}).");
        }

        double loadSeconds = total.Elapsed.TotalSeconds;
        logger.LogInformation("Evaluating {MethodCount} methods × {SeedCount} seeds, protocol {Protocol}, on {SubjectCount} subjects ({Subjects}) in {Seconds:F1} s of loading",
            methods.Count, request.Seeds.Count, request.Protocol, subjects.Length, string.Join(",", subjects), loadSeconds);
        var folds = request.Protocol == EvaluationProtocol.Loso
            ? subjects.Select(t => new CrossSubjectFold(t, subjects.Where(s => s != t).ToArray())).ToArray()
            : subjects.SelectMany(t => subjects.Where(s => s != t).Select(s => new CrossSubjectFold(t, [s]))).ToArray();

        var runner = new CrossSubjectRunner(data) { DiagnosticSamples = EvaluationDiagnosticSamples };
        var outcomes = new FoldOutcome[folds.Length];
        int done = 0;
        var training = progress is null ? null : new FoldProgress(progress);
        progress?.Report(new WorkProgress("evaluate", 0, folds.Length, $"{folds.Length} folds"));
        var options = new ParallelOptions { MaxDegreeOfParallelism = request.Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, folds.Length), options, (i, token) =>
        {
            var fold = folds[i];
            var outcome = runner.Run(fold, methods, request.Seeds, request.TargetLabeledPerClass, null, training, token);
            outcomes[i] = outcome;
            int n = Interlocked.Increment(ref done);
            var best = outcome.Runs.Where(r => r.Score != null).GroupBy(r => r.Method.Name).Select(g => $"{g.Key} {g.Average(r => r.Score!.Accuracy):F3}");
            logger.LogInformation("Fold {Target} ← {Sources}: {Scores} ({Networks} networks in {Seconds:F1} s)",
                fold.Target, Describe(fold.Sources), string.Join(", ", best), outcome.Timings.NetworkCount, outcome.Timings.NetworksSeconds);
            progress?.Report(new WorkProgress("evaluate", n, folds.Length, $"fold {fold.Target} done"));
            return ValueTask.CompletedTask;
        });

        var rows = outcomes.SelectMany(o => o.Runs.Select(r => new EvaluationRow(
            o.Fold.Target,
            o.Fold.Sources,
            r.Seed,
            MethodName(r, methods),
            r.Score?.Accuracy ?? double.NaN,
            r.Score?.BalancedAccuracy ?? double.NaN,
            o.Scored[r.Seed].Count,
            r.Failure?.ToString()))).ToArray();
        var summary = methods.ToDictionary(
            m => m.Name,
            m =>
            {
                var values = rows.Where(r => r.Method == m.Name).Select(r => r.Accuracy).ToArray();
                var seedMeans = request.Seeds.ToDictionary(s => s, s => rows.Where(r => r.Method == m.Name && r.Seed == s).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average());
                return new MethodSummary(values.Average(), Sd(values), seedMeans);
            },
            StringComparer.Ordinal);
        var result = new EvaluationResult(
            definition.Name,
            request.Protocol,
            subjects,
            methods.Select(m => m.Name).ToArray(),
            CalibrationMethod.Of(definition).Name,
            request.Seeds,
            request.TargetLabeledPerClass,
            rows,
            summary,
            total.Elapsed.TotalSeconds,
            loadSeconds,
            outcomes.Sum(o => o.Timings.NetworkCount));
        foreach (var outcome in outcomes)
        {
            outcome.Dispose();
        }

        foreach (var m in methods)
        {
            logger.LogInformation("{Method}: {Mean:F3} ± {Sd:F3}", m.Name, summary[m.Name].Mean, summary[m.Name].Sd);
        }

        if (request.ReportDirectory is { } directory)
        {
            await EvaluationReport.WriteAsync(result, directory, cancellationToken);
            logger.LogInformation("Wrote the report to {Directory}", directory);
        }

        logger.LogInformation("Evaluation took {Seconds:F1} s ({Networks} networks)", result.Seconds, result.Networks);
        return result;
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

            if (method.Family == MethodFamily.CspLda && definition.ClassNames.Count != 2)
            {
                throw new CalibrationInputException($"method '{name}': CSP needs two classes, pipeline '{definition.Name}' has {definition.ClassNames.Count}.");
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
