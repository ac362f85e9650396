using System.Diagnostics;
using System.Globalization;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Steps;
using EegDann.Recordings;
using Microsoft.Extensions.Logging;

namespace EegDann.Pipelines.UseCases;

/// <summary>A recording given to calibration: a file to read, or one already in memory (e.g. collected by the live daemon).</summary>
/// <param name="Name">The file's path, or a name for an in-memory recording (used in messages and the report).</param>
/// <param name="Recording">The recording when it is already in memory; null to read <paramref name="Name"/>.</param>
public sealed record RecordingInput(string Name, Recording? Recording = null)
{
    /// <summary>A recording file (EegDann Parquet with its events file, or EDF/BDF/GDF).</summary>
    public static RecordingInput FromPath(string path) => new(path);

    /// <summary>A recording in memory.</summary>
    public static RecordingInput FromRecording(Recording recording, string name) => new(name, recording ?? throw new ArgumentNullException(nameof(recording)));
}

/// <summary>What <c>calibrate-new-subject</c> is asked to do.</summary>
public sealed record CalibrateRequest
{
    /// <summary>The pipeline file (ignored when <see cref="Pipeline"/> is given).</summary>
    public string? PipelinePath { get; init; }

    /// <summary>The pipeline, already loaded; takes precedence over <see cref="PipelinePath"/>.</summary>
    public PipelineDefinition? Pipeline { get; init; }

    /// <summary>Labeled source recordings (one or more subjects).</summary>
    public required IReadOnlyList<RecordingInput> Sources { get; init; }

    /// <summary>The new subject's recordings: used without their labels (cue events, if any, only score the result).</summary>
    public required IReadOnlyList<RecordingInput> Targets { get; init; }

    /// <summary>The model file to write (atomically); null keeps it in memory only (<see cref="CalibrationOutcome.ModelFile"/>).</summary>
    public string? ModelPath { get; init; }

    /// <summary>The report's JSON file; Markdown and PNGs go beside it. Default: beside the model (<c>MODEL.report.json</c>); none when neither is given.</summary>
    public string? ReportPath { get; init; }

    /// <summary>The method (<c>[ea_]BASE[_crops][_st][_refit][_ba][_xK]</c>); null: the pipeline's own.</summary>
    public string? Method { get; init; }

    /// <summary>Semi-supervised: K cue epochs per class of the target (drawn at random from the seed) join training and are not scored.</summary>
    public int TargetLabeledPerClass { get; init; }

    /// <summary>Labeled target epochs per class (drawn from the seed) kept only to estimate the accuracy before deployment; never in training. 0: none.</summary>
    public int TargetHoldoutPerClass { get; init; }

    /// <summary>The seed; null: the pipeline's.</summary>
    public int? Seed { get; init; }

    /// <summary>Also train and score the baselines for the report (source_only, reweighting, ea_source_only, csp_lda, ea_csp_lda).</summary>
    public bool Baselines { get; init; } = true;
}

/// <summary>Training of the chosen method failed (diverged, non-finite); nothing was written.</summary>
public sealed class CalibrationFailedException(TrainingFailure failure) : Exception(failure.ToString())
{
    /// <summary>The failure.</summary>
    public TrainingFailure Failure { get; } = failure;
}

/// <summary>The calibrated model and its report.</summary>
public sealed class CalibrationOutcome : IDisposable
{
    internal CalibrationOutcome(CalibrationMethod method, KeptModel model, byte[] modelFile, string modelId, CalibrationReport report, IReadOnlyList<string> written)
    {
        Method = method;
        Kept = model;
        ModelFile = modelFile;
        ModelId = modelId;
        Report = report;
        WrittenFiles = written;
    }

    /// <summary>The method trained.</summary>
    public CalibrationMethod Method { get; }

    /// <summary>The trained network with its pipeline variant and fitted state (the caller disposes the outcome).</summary>
    public KeptModel Kept { get; }

    /// <summary>The model file's bytes (what was written to <see cref="CalibrateRequest.ModelPath"/>).</summary>
    public byte[] ModelFile { get; }

    /// <summary>The model's id (16 hex digits of its content's SHA-256).</summary>
    public string ModelId { get; }

    /// <summary>The report.</summary>
    public CalibrationReport Report { get; }

    /// <summary>Files written, in order (empty when nothing was asked to be written).</summary>
    public IReadOnlyList<string> WrittenFiles { get; }

    /// <inheritdoc />
    public void Dispose() => Kept.Model.Dispose();
}

/// <summary>
/// <c>eegdann calibrate-new-subject</c>: adapts a decoder trained on labeled source subjects to a
/// new subject from the new subject's unlabeled recordings, writes the model file and a report
/// (JSON, Markdown, PNG figures) with the baselines trained on the same data.
/// </summary>
/// <remarks>
/// What the target contributes, and how: its own Euclidean alignment (fitted on its unlabeled
/// epochs or windows), its unlabeled feature rows (DANN's domain loss, the reweighting
/// classifier), and — only with <see cref="CalibrateRequest.TargetLabeledPerClass"/> — the labels
/// of that many epochs per class. When the target recordings carry cue events, their labels score
/// the methods in the report and nothing else; the report says so. A failed calibration writes
/// nothing: an existing model file at the output path stays as it was.
/// </remarks>
public static class CalibrateNewSubject
{
    /// <summary>Runs the calibration.</summary>
    /// <exception cref="CalibrationInputException">When a recording, the pipeline, the method or an output path is unusable (named in the message).</exception>
    /// <exception cref="CalibrationFailedException">When training the chosen method fails.</exception>
    /// <exception cref="OperationCanceledException">When cancelled (nothing is written).</exception>
    public static async Task<CalibrationOutcome> RunAsync(CalibrateRequest request, ILogger logger, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        var clock = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>(StringComparer.Ordinal);
        var definition = request.Pipeline ?? Evaluate.LoadPipeline(request.PipelinePath ?? throw new CalibrationInputException("no pipeline given."));
        var method = ResolveMethod(request.Method, definition);
        int seed = request.Seed ?? definition.Training.Seed;
        if (seed < 0)
        {
            throw new CalibrationInputException($"the seed must be ≥ 0, got {seed}.");
        }

        if (request.TargetLabeledPerClass < 0)
        {
            throw new CalibrationInputException($"--target-labeled must be ≥ 0, got {request.TargetLabeledPerClass}.");
        }

        if (request.TargetHoldoutPerClass < 0)
        {
            throw new CalibrationInputException($"--target-holdout must be ≥ 0, got {request.TargetHoldoutPerClass}.");
        }

        if (request.Sources.Count == 0 || request.Targets.Count == 0)
        {
            throw new CalibrationInputException(request.Sources.Count == 0 ? "no source recordings given." : "no target recordings given.");
        }

        var (modelPath, reportPath) = OutputPaths(request);
        var sources = await ReadAllAsync(request.Sources, cancellationToken);
        var targets = await ReadAllAsync(request.Targets, cancellationToken);
        var targetSubjects = targets.Select(t => t.Recording.Metadata.Subject).Distinct(StringComparer.Ordinal).ToArray();
        if (targetSubjects.Length != 1)
        {
            throw new CalibrationInputException($"{string.Join(", ", targets.Select(t => t.Name))}: the target recordings must be of one subject, they are of {string.Join(", ", targetSubjects)}.");
        }

        string targetSubject = targetSubjects[0];
        var overlap = sources.Where(s => s.Recording.Metadata.Subject == targetSubject).Select(s => s.Name).ToArray();
        if (overlap.Length > 0)
        {
            throw new CalibrationInputException($"{string.Join(", ", overlap)}: subject {targetSubject} is the target; its recordings cannot also be sources.");
        }

        // A run the pipeline names as a source-only run (e.g. executed movement) is never a target's.
        var sourceOnlyRuns = targets.Where(t => t.Recording.Metadata.Run is { } run && definition.Paradigm.SourceRuns.Contains(run, StringComparer.OrdinalIgnoreCase) && !definition.Paradigm.IsTargetRun(run))
            .Select(t => $"{t.Name} (run {t.Recording.Metadata.Run})").ToArray();
        if (sourceOnlyRuns.Length > 0)
        {
            throw new CalibrationInputException($"{string.Join(", ", sourceOnlyRuns)}: a source-only run of the pipeline, not one of its target runs ({string.Join(", ", definition.Paradigm.TargetRuns)}).");
        }

        timings["read"] = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var data = CalibrationData.Create(definition, sources.Concat(targets).ToArray(), cancellationToken: cancellationToken);
        // Every group of the sources (a person's target-kind runs, and runs that are only source runs as a group of their own).
        var sourceSubjects = data.Subjects.Values.Where(s => s.Person != targetSubject).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray();
        CheckSources(data, sourceSubjects, definition);
        var target = data.Subjects[targetSubject];
        var split = new TargetSplit(request.TargetLabeledPerClass, request.TargetHoldoutPerClass);
        if (split.DependsOnSeed)
        {
            RecordingFiles.CheckLabeled(target, definition, split.NeededPerClass - 1);
        }

        timings["epochs"] = clock.Elapsed.TotalSeconds;
        logger.LogInformation(
            "Calibrating {Method} (seed {Seed}) for target {Target} ({TargetEpochs} {TargetKind}) from {SourceCount} source subjects ({SourceEpochs} labeled epochs)",
            method.Name, seed, targetSubject, target.HasCues ? target.Epochs.Count : target.Windows!.Count, target.HasCues ? "cue epochs, labels unused" : "unlabeled windows",
            sourceSubjects.Length, sourceSubjects.Sum(s => data.Subjects[s].Epochs.Count));
        var trains = method.WithTargetLabels(request.TargetLabeledPerClass);
        if (trains.Name != method.Name)
        {
            logger.LogInformation("{Requested} trains as {Method} with {Labeled} labeled target epochs per class", method.Name, trains.Name, request.TargetLabeledPerClass);
        }

        // With labeled target epochs, the baselines also show what those epochs give on their own: the
        // per-subject calibration a lab would run without transfer (the classic one-band pipeline fitted on them alone).
        var baselines = request.TargetLabeledPerClass > 0 ? [.. CalibrationMethod.BaselineNames, CalibrationMethod.WithinBaselineName] : CalibrationMethod.BaselineNames;
        var methods = (request.Baselines ? baselines.Select(CalibrationMethod.Parse) : [])
            .Where(m => m.Name != method.Name).Append(method).ToArray();
        var reference = CalibrationMethod.NameOf(TrainingMethod.SourceOnly, method.Aligned);
        var runner = new CrossSubjectRunner(data);
        clock.Restart();
        using var outcome = runner.Run(
            new CrossSubjectFold(targetSubject, sourceSubjects),
            methods,
            [seed],
            split,
            keep: [(method.Name, seed), (reference, seed)],
            progress,
            cancellationToken);
        timings["training"] = clock.Elapsed.TotalSeconds;
        var chosenRun = outcome.Runs.Single(r => r.Requested == method.Name);
        if (chosenRun.Failure is { } failure)
        {
            throw new CalibrationFailedException(failure);
        }

        foreach (var run in outcome.Runs.Where(r => r.Failure != null))
        {
            logger.LogWarning("Baseline {Method} failed: {Failure}", run.Method.Name, run.Failure!.ToString());
        }

        var kept = outcome.Kept.Single(k => k.Method.Name == chosenRun.Method.Name);
        clock.Restart();
        var fitted = kept.Fitted.OnlyFor(targetSubject);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["method"] = chosenRun.Method.Name,
            ["method_description"] = chosenRun.Method.DescriptionWith(definition),
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["ensemble_member_seeds"] = string.Join(",", chosenRun.MemberSeeds),
            ["target_subject"] = targetSubject,
            ["source_subjects"] = string.Join(",", sourceSubjects),
            ["target_labeled_per_class"] = request.TargetLabeledPerClass.ToString(CultureInfo.InvariantCulture),
        };
        if (chosenRun.Score is { } score)
        {
            extra["target_accuracy"] = score.Accuracy.ToString("R", CultureInfo.InvariantCulture);
        }

        var context = PipelineModelContext.Create(kept.Definition, fitted, extra);
        byte[] modelBytes;
        string modelId;
        using (var stream = new MemoryStream())
        {
            modelId = ModelFile.Write(stream, kept.Model, context);
            modelBytes = stream.ToArray();
        }

        var report = CalibrationReport.Build(new CalibrationReportInput(
            definition, data, runner, outcome, chosenRun, kept, outcome.Kept.FirstOrDefault(k => k.Method.Name == reference && k.Method.Name != kept.Method.Name),
            targetSubject, sourceSubjects, request.TargetLabeledPerClass, seed, modelPath, modelId, timings));
        timings["report"] = clock.Elapsed.TotalSeconds;

        var written = new List<string>();
        var files = new List<(string Path, Func<Stream, Task> Write)>();
        if (modelPath != null)
        {
            files.Add((modelPath, s => s.WriteAsync(modelBytes, cancellationToken).AsTask()));
        }

        if (reportPath != null)
        {
            files.AddRange(report.Files(reportPath).Select(f => (f.Path, (Func<Stream, Task>)(s => s.WriteAsync(f.Content, cancellationToken).AsTask()))));
        }

        if (files.Count > 0)
        {
            try
            {
                await AtomicFile.WriteAllAsync(files, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CalibrationInputException($"cannot write the output: {e.Message}", e);
            }

            written.AddRange(files.Select(f => f.Path));
        }

        foreach (var run in outcome.Runs)
        {
            logger.LogInformation("{Method}: target accuracy {Accuracy}", run.Method.Name, run.Score is null ? (run.Failure is null ? "not scored (no cue events)" : "failed") : run.Score.Accuracy.ToString("F3", CultureInfo.InvariantCulture));
        }

        // The outcome keeps the chosen network; the fold's other kept networks are disposed with the fold.
        var keptForCaller = kept with { Model = Clone(kept.Model, modelBytes) };
        return new CalibrationOutcome(chosenRun.Method, keptForCaller, modelBytes, modelId, report, written);
    }

    private static TrainedModel Clone(TrainedModel model, byte[] modelFile)
    {
        _ = model;
        using var stream = new MemoryStream(modelFile, writable: false);
        var package = ModelFile.Read(stream);
        return package.Model;
    }

    private static CalibrationMethod ResolveMethod(string? name, PipelineDefinition definition)
    {
        CalibrationMethod method;
        try
        {
            method = name is null ? CalibrationMethod.Of(definition) : CalibrationMethod.Parse(name);
        }
        catch (MethodNameException e)
        {
            throw new CalibrationInputException(e.Message, e);
        }

        if (method.Family != MethodFamily.Network)
        {
            throw new CalibrationInputException($"method '{method.Name}' is a report-only baseline (CSP + LDA has no network to put in a model file); choose a network method such as {CalibrationMethod.Of(definition).Name}.");
        }

        return method;
    }

    private static (string? Model, string? Report) OutputPaths(CalibrateRequest request)
    {
        string? model = request.ModelPath is null ? null : Path.GetFullPath(request.ModelPath);
        string? report = request.ReportPath is not null
            ? Path.GetFullPath(request.ReportPath)
            : model is null ? null : Path.Combine(Path.GetDirectoryName(model)!, Path.GetFileNameWithoutExtension(model) + ".report.json");
        foreach (var path in new[] { model, report })
        {
            if (path != null && !Directory.Exists(Path.GetDirectoryName(path)))
            {
                throw new CalibrationInputException($"{path}: the output directory {Path.GetDirectoryName(path)} does not exist.");
            }
        }

        if (model != null && report != null && string.Equals(model, report, StringComparison.Ordinal))
        {
            throw new CalibrationInputException($"{model}: the model and the report cannot be the same file.");
        }

        return (model, report);
    }

    private static async Task<IReadOnlyList<(string Name, Recording Recording)>> ReadAllAsync(IReadOnlyList<RecordingInput> inputs, CancellationToken cancellationToken)
    {
        var result = new List<(string, Recording)>();
        foreach (var input in inputs)
        {
            result.Add((input.Name, input.Recording ?? await RecordingFiles.ReadAsync(input.Name, cancellationToken)));
        }

        var duplicates = result.GroupBy(r => r.Item1, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        return duplicates.Length == 0 ? result : throw new CalibrationInputException($"{string.Join(", ", duplicates)}: given more than once.");
    }

    private static void CheckSources(CalibrationData data, IReadOnlyList<string> sourceSubjects, PipelineDefinition definition)
    {
        foreach (var subject in sourceSubjects)
        {
            var s = data.Subjects[subject];
            if (!s.HasCues)
            {
                throw new CalibrationInputException(
                    $"{string.Join(", ", s.Recordings)}: source subject {subject} has no events the pipeline maps ({definition.Paradigm.DescribeEvents()}) with a complete epoch; sources must be labeled.");
            }
        }

        var counts = definition.ClassNames.ToDictionary(c => c, c => sourceSubjects.Sum(s => data.Subjects[s].ClassCounts.GetValueOrDefault(c)), StringComparer.Ordinal);
        if (counts.Values.Any(n => n < RecordingFiles.MinimumEpochsPerClass))
        {
            throw new CalibrationInputException(
                $"{string.Join(", ", sourceSubjects.SelectMany(s => data.Subjects[s].Recordings))}: the sources have too few epochs per class ({string.Join(", ", counts.Select(p => $"{p.Key}: {p.Value}"))}); at least {RecordingFiles.MinimumEpochsPerClass} of each are needed.");
        }
    }
}
