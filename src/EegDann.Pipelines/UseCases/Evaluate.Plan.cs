// The evaluate use case's plan: the request checked and the data read into folds, the units (fold × K ×
// method × seed) a shard picks from, and the records a plan and a part file are made of.
using System.Diagnostics;
using EegDann.Pipelines.Calibration;
using Microsoft.Extensions.Logging;

namespace EegDann.Pipelines.UseCases;

public static partial class Evaluate
{
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

        if (counts.All(k => k == 0) && methods.FirstOrDefault(m => m.WithinSubject) is { } within)
        {
            throw new CalibrationInputException($"{within.Name} is fitted on the target's labeled epochs alone: give --target-labeled K with K > 0 (or a list, e.g. 0,2,5,10).");
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

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
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
