using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.UseCases;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Bench;

/// <summary>
/// Chooses the default calibration method without looking at any target's labels: nested
/// leave-one-subject-out. For every outer target t, each candidate is scored by an inner
/// leave-one-subject-out over the other subjects only (each of them in turn the unlabeled inner
/// target, the rest labeled sources); the candidate with the best inner mean is chosen for t,
/// then trained on all subjects but t and scored on t. The nested accuracy (the chosen candidate
/// per outer fold) is an honest estimate of the selection procedure; the per-candidate outer
/// accuracies are printed beside it for reference only.
/// </summary>
/// <remarks>
/// Usage: <c>calibration-selection --data DIR[,DIR...] --candidates PIPELINE.json:METHOD[:RUN+RUN...][,...] [--seeds 0] [--parallel N] [--out NAME]</c>.
/// Candidates may use different pipeline files (network and training settings), methods and source
/// runs (the third part replaces the pipeline's <c>source_runs</c>, e.g. <c>R03+R07+R11+R04+R08+R12</c>
/// to add EEGMMIDB's executed-movement runs of the sources). Targets are people with target runs;
/// a person's other runs (a source-only group) are a source only when that person is neither the
/// inner nor the outer target.
/// </remarks>
public sealed class CalibrationSelectionBench : IBench
{
    /// <inheritdoc />
    public string Name => "calibration-selection";

    /// <inheritdoc />
    public string Description => "nested leave-one-subject-out choice of the default calibration method (inner LOSO on the sources only)";

    /// <inheritdoc />
    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        string? data = BenchArgs.Value(args, "--data");
        string? candidatesText = BenchArgs.Value(args, "--candidates");
        if (data is null || candidatesText is null)
        {
            Console.Error.WriteLine("usage: calibration-selection --data DIR[,DIR...] --candidates PIPELINE.json:METHOD[:RUN+RUN...][,...] [--seeds 0] [--parallel N] [--out NAME]");
            return 2;
        }

        var seeds = (BenchArgs.Value(args, "--seeds") ?? "0").Split(',').Select(int.Parse).ToArray();
        int parallel = int.Parse(BenchArgs.Value(args, "--parallel") ?? "1");
        string output = BenchArgs.Value(args, "--out") ?? "calibration-selection";
        TorchRuntime.UseThreads(1);
        var clock = Stopwatch.StartNew();
        var candidates = new List<(string Label, CalibrationData Data, CalibrationMethod Method)>();
        var dataByPipeline = new Dictionary<string, CalibrationData>(StringComparer.Ordinal);
        foreach (var spec in candidatesText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = spec.Split(':');
            string pipelinePath = Path.GetFullPath(parts[0], context.RepositoryRoot);
            string? sourceRuns = parts.Length > 2 ? parts[2] : null;
            string key = pipelinePath + (sourceRuns is null ? "" : ":" + sourceRuns);
            if (!dataByPipeline.TryGetValue(key, out var calibrationData))
            {
                var definition = PipelineDefinitionLoader.Load(pipelinePath);
                if (sourceRuns is not null)
                {
                    definition = definition.WithSourceRuns(sourceRuns.Split('+'));
                }

                var recordings = new List<(string Name, Core.Recording Recording)>();
                // Directories after the first hold extra source runs: read only for candidates that name source runs.
                var directories = data.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var directory in sourceRuns is null ? directories.Take(1) : directories)
                {
                    recordings.AddRange(await RecordingFiles.ReadDirectoryAsync(directory, definition, NullLogger.Instance, CancellationToken.None));
                }

                calibrationData = CalibrationData.Create(definition, recordings);
                dataByPipeline[key] = calibrationData;
            }

            var method = parts.Length > 1 ? CalibrationMethod.Parse(parts[1]) : CalibrationMethod.Of(calibrationData.Definition);
            candidates.Add(($"{Path.GetFileNameWithoutExtension(pipelinePath)}{(sourceRuns is null ? "" : "[" + sourceRuns + "]")}:{method.Name}", calibrationData, method));
        }

        // People with target runs; a source-only group (another run set of a person) is never a target.
        var subjects = candidates[0].Data.Subjects.Values.Where(s => !s.IsSourceOnly).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray();
        Console.WriteLine($"{candidates.Count} candidates, {subjects.Length} subjects, seeds {string.Join(",", seeds)}; loading took {clock.Elapsed.TotalSeconds:F1} s");

        // Every (held-out subject, target) fold: held-out = the outer target (null for the outer folds themselves).
        var jobs = new List<(string? Outer, CrossSubjectFold Fold)>();
        foreach (var outer in subjects)
        {
            var rest = subjects.Where(s => s != outer).ToArray();
            jobs.AddRange(rest.Select(inner => ((string?)outer, new CrossSubjectFold(inner, rest.Where(s => s != inner).ToArray()))));
            jobs.Add((null, new CrossSubjectFold(outer, rest)));
        }

        var runners = dataByPipeline.Values.ToDictionary(d => d, d => new CrossSubjectRunner(d) { DiagnosticSamples = Evaluate.EvaluationDiagnosticSamples });
        var scores = new System.Collections.Concurrent.ConcurrentDictionary<(string? Outer, string Target, string Candidate), double>();
        int done = 0;
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = parallel }, (job, cancellationToken) =>
        {
            foreach (var group in candidates.GroupBy(c => c.Data))
            {
                // This data's groups of every person but the inner and the outer target (and their other runs).
                var excluded = new[] { job.Fold.Target, job.Outer }.Where(p => p is not null).Select(p => group.Key.Subjects[p!].Person).ToHashSet(StringComparer.Ordinal);
                var fold = new CrossSubjectFold(job.Fold.Target, group.Key.Subjects.Values.Where(s => !excluded.Contains(s.Person)).Select(s => s.Subject).Order(StringComparer.Ordinal).ToArray());
                using var outcome = runners[group.Key].Run(fold, group.Select(c => c.Method).ToArray(), seeds, 0, cancellationToken: cancellationToken);
                foreach (var c in group)
                {
                    var runs = outcome.Runs.Where(r => r.Method.Name == c.Method.Name).ToArray();
                    scores[(job.Outer, job.Fold.Target, c.Label)] = runs.Average(r => r.Score?.Accuracy ?? double.NaN);
                }
            }

            int n = Interlocked.Increment(ref done);
            if (n % 10 == 0 || n == jobs.Count)
            {
                Console.WriteLine($"  {n}/{jobs.Count} folds, {clock.Elapsed.TotalSeconds:F0} s");
            }

            return ValueTask.CompletedTask;
        });

        var rows = new JsonArray();
        var chosenOuter = new List<double>();
        Console.WriteLine();
        Console.WriteLine($"{"target",-8} {"chosen",-40} {"outer acc",9}   inner means (sources only) | outer accuracies (reference only)");
        foreach (var outer in subjects)
        {
            var inner = candidates.ToDictionary(c => c.Label, c => subjects.Where(s => s != outer).Average(s => scores[(outer, s, c.Label)]));
            var chosen = inner.OrderByDescending(p => p.Value).First().Key;
            double outerAccuracy = scores[(null, outer, chosen)];
            chosenOuter.Add(outerAccuracy);
            Console.WriteLine($"{outer,-8} {chosen,-40} {outerAccuracy,9:F3}   " +
                string.Join(" ", candidates.Select(c => $"{inner[c.Label]:F3}")) + " | " + string.Join(" ", candidates.Select(c => $"{scores[(null, outer, c.Label)]:F3}")));
            rows.Add(new JsonObject
            {
                ["target"] = outer,
                ["chosen"] = chosen,
                ["outer_accuracy"] = outerAccuracy,
                ["inner_means"] = new JsonObject(inner.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 4)))),
                ["outer_accuracies"] = new JsonObject(candidates.Select(c => KeyValuePair.Create(c.Label, (JsonNode?)Math.Round(scores[(null, outer, c.Label)], 4)))),
            });
        }

        var innerOverall = candidates.ToDictionary(c => c.Label, c => subjects.Average(o => subjects.Where(s => s != o).Average(s => scores[(o, s, c.Label)])));
        var outerOverall = candidates.ToDictionary(c => c.Label, c => subjects.Average(o => scores[(null, o, c.Label)]));
        Console.WriteLine();
        foreach (var c in candidates)
        {
            Console.WriteLine($"{c.Label,-48} inner mean {innerOverall[c.Label]:F3}   outer mean {outerOverall[c.Label]:F3}   chosen in {rows.Count(r => (string)r!["chosen"]! == c.Label)} of {subjects.Length} folds");
        }

        Console.WriteLine($"nested accuracy (the chosen candidate per outer fold): {chosenOuter.Average():F3}; {clock.Elapsed.TotalSeconds:F0} s");
        var result = new JsonObject
        {
            ["data"] = data,
            ["seeds"] = new JsonArray(seeds.Select(s => (JsonNode)s).ToArray()),
            ["candidates"] = new JsonArray(candidates.Select(c => (JsonNode)c.Label).ToArray()),
            ["folds"] = rows,
            ["inner_mean"] = new JsonObject(innerOverall.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 4)))),
            ["outer_mean"] = new JsonObject(outerOverall.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 4)))),
            ["nested_accuracy"] = Math.Round(chosenOuter.Average(), 4),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        await File.WriteAllTextAsync(Path.Combine(context.ResultsDirectory, output + ".json"), result.ToJsonString(BenchJson.Indented));
        return 0;
    }
}
