using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings;
using EegDann.Reports;

namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The report of <c>evaluate</c>: <c>evaluation.json</c> (what <c>--json</c> prints), the
/// Markdown table (per subject, mean over seeds, and mean ± sd over all folds × seeds),
/// <c>per-subject.png</c> and <c>methods.png</c> (and <c>confusion.png</c> with more than two classes). All files are written atomically together.
/// </summary>
public static class EvaluationReport
{
    /// <summary>The JSON document: <c>rows</c>, <c>summary</c> (<c>{method: {mean, sd}}</c>), <c>default_method</c> and the run's facts.</summary>
    public static JsonObject ToJson(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = new JsonArray(result.Rows.Select(r => (JsonNode)new JsonObject
        {
            ["target"] = r.Target,
            ["sources"] = r.Sources.Count <= 3 ? string.Join(",", r.Sources) : "others",
            ["seed"] = r.Seed,
            ["method"] = r.Method,
            ["accuracy"] = Number(r.Accuracy),
            ["balanced_accuracy"] = Number(r.BalancedAccuracy),
            ["scored_epochs"] = r.ScoredEpochs,
            ["accuracy_ci95"] = Pair(r.AccuracyInterval),
            ["target_labeled"] = r.TargetLabeled,
            ["holdout_accuracy"] = Number(r.HoldoutAccuracy),
            ["holdout_epochs"] = r.HoldoutEpochs,
            ["failure"] = r.Failure,
        }).ToArray());
        var summary = new JsonObject();
        foreach (var method in result.Methods)
        {
            var s = result.Summary[method];
            summary[method] = new JsonObject
            {
                ["mean"] = Number(Math.Round(s.Mean, 4)),
                ["sd"] = Number(Math.Round(s.Sd, 4)),
                ["seed_means"] = new JsonObject(s.SeedMeans.Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)Number(Math.Round(p.Value, 4))))),
                ["ci95_over_targets"] = Pair(s.Interval),
            };
        }

        var curve = new JsonObject();
        foreach (var method in result.Methods)
        {
            curve[method] = new JsonObject(result.LearningCurve.Where(p => p.Method == method).Select(p => KeyValuePair.Create(
                p.TargetLabeled.ToString(CultureInfo.InvariantCulture),
                (JsonNode?)new JsonObject { ["mean"] = Number(Math.Round(p.Mean, 4)), ["sd"] = Number(Math.Round(p.Sd, 4)), ["ci95_over_targets"] = Pair(p.Interval) })));
        }

        var json = new JsonObject
        {
            ["pipeline"] = result.Pipeline,
            ["protocol"] = result.Protocol.ToString().ToLowerInvariant(),
            ["subjects"] = new JsonArray(result.Subjects.Select(s => (JsonNode)s).ToArray()),
            ["seeds"] = new JsonArray(result.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["target_labeled_per_class"] = result.TargetLabeledPerClass,
            ["target_labeled_curve"] = new JsonArray(result.LabeledCounts.Select(k => (JsonNode)k).ToArray()),
            ["target_holdout_per_class"] = result.HoldoutPerClass,
            ["source_subjects"] = new JsonArray(result.SourceSubjects.Select(x => (JsonNode)x).ToArray()),
            ["source_runs"] = new JsonArray(result.Runs.Source.Select(x => (JsonNode)x).ToArray()),
            ["target_runs"] = new JsonArray(result.Runs.Target.Select(x => (JsonNode)x).ToArray()),
            ["methods"] = new JsonArray(result.Methods.Select(m => (JsonNode)m).ToArray()),
            ["default_method"] = result.DefaultMethod,
            ["rows"] = rows,
            ["summary"] = summary,
            ["paired"] = new JsonArray(result.Comparisons.Select(c => (JsonNode)new JsonObject
            {
                ["method"] = c.Method,
                ["baseline"] = c.Baseline,
                ["targets"] = new JsonArray(c.Targets.Select(t => (JsonNode)t).ToArray()),
                ["differences"] = new JsonArray(c.Differences.Select(d => Number(Math.Round(d, 6))).ToArray()),
                ["mean_difference"] = Number(Math.Round(c.MeanDifference, 6)),
                ["mean_difference_ci95"] = Pair(c.DifferenceInterval),
                ["wins"] = c.Wins,
                ["losses"] = c.Losses,
                ["sign_test_p"] = Number(c.SignTestP),
                ["wilcoxon_p"] = Number(c.WilcoxonP),
                ["wilcoxon_exact"] = c.WilcoxonExact,
            }).ToArray()),
            ["learning_curve"] = curve,
            ["holdout_checks"] = new JsonArray(result.HoldoutChecks.Select(h => (JsonNode)new JsonObject
            {
                ["method"] = h.Method,
                ["holdout_mean"] = Number(Math.Round(h.EstimateMean, 4)),
                ["scored_mean"] = Number(Math.Round(h.ActualMean, 4)),
                ["mean_absolute_error"] = Number(Math.Round(h.MeanAbsoluteError, 4)),
                ["coverage_of_wilson_95"] = Number(Math.Round(h.Coverage, 4)),
            }).ToArray()),
            ["networks_trained"] = result.Networks,
            ["load_seconds"] = Math.Round(result.LoadSeconds, 2),
            ["total_seconds"] = Math.Round(result.Seconds, 2),
            ["eegdann_version"] = EegDannVersion.Current,
        };
        if (result.ClassNames.Count > 2)
        {
            // More than two classes: the classes, chance 1/N and each method's N × N confusion
            // (summed over targets × seeds). Two-class reports stay as they were, byte for byte.
            json["classes"] = new JsonArray(result.ClassNames.Select(c => (JsonNode)c).ToArray());
            json["chance"] = Number(Math.Round(result.Chance, 4));
            json["confusion_rows_true_columns_predicted"] = new JsonObject(result.Methods.Select(m => KeyValuePair.Create(
                m,
                (JsonNode?)(result.PooledConfusion(m) is { } matrix ? new JsonArray(matrix.Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray()) : null))));
        }

        return json;
    }

    /// <summary>Each method's confusion summed over targets × seeds of the main table (methods without one left out).</summary>
    private static (string Title, IReadOnlyList<IReadOnlyList<int>> Matrix)[] PooledConfusions(EvaluationResult result) =>
        result.Methods.Select(m => (Method: m, Matrix: result.PooledConfusion(m))).Where(p => p.Matrix is not null).Select(p => (p.Method, (IReadOnlyList<IReadOnlyList<int>>)p.Matrix!)).ToArray();

    /// <summary>Markdown tables of each method's confusion (summed over targets × seeds), for more than two classes; empty otherwise.</summary>
    private static string ConfusionMarkdown(EvaluationResult result) =>
        !ConfusionSection.Applies(result.ClassNames) ? "" : ConfusionSection.Markdown(
            result.ClassNames,
            PooledConfusions(result),
            $"Confusion matrices (rows true class, columns predicted; counts summed over targets × seeds of the main table; chance 1/{result.ClassNames.Count} = {Format(result.Chance)}):",
            "confusion.png");

    private static byte[]? ConfusionFigure(EvaluationResult result) =>
        !ConfusionSection.Applies(result.ClassNames) ? null : ConfusionSection.Figure(result.ClassNames, PooledConfusions(result).Select(p => ($"{p.Title} (targets × seeds)", p.Matrix)).ToArray());

    /// <summary>The Markdown report.</summary>
    public static string ToMarkdown(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var main = result.MainRows.ToArray();
        md.AppendLine(inv, $"# Cross-subject evaluation: {result.Pipeline}, {result.Protocol.ToString().ToLowerInvariant()}");
        md.AppendLine();
        if (result.Protocol == EvaluationProtocol.Sources)
        {
            md.AppendLine(inv, $"Sources (labeled, a bank serving new people): {string.Join(", ", result.SourceSubjects)}. Targets (unlabeled in training): {string.Join(", ", result.Subjects)}.");
        }

        if (result.Runs.Source.Count > 0 && !result.Runs.Source.SequenceEqual(result.Runs.Target))
        {
            md.AppendLine(inv, $"Source runs {string.Join(", ", result.Runs.Source)} (runs that are not target runs form a group of their own per source subject, with its own alignment); target runs {string.Join(", ", result.Runs.Target)}; a target's other runs are never used.");
        }

        md.AppendLine($"Subjects {string.Join(", ", result.Subjects)}; seeds {string.Join(", ", result.Seeds)}; " +
            (result.TargetLabeledPerClass > 0
                ? $"{result.TargetLabeledPerClass} labeled target epochs per class join training (drawn at random from each seed) and are not scored."
                : "the target is unlabeled in training; its cue labels are used only to score."));
        if (result.LabeledCounts.Count > 1)
        {
            md.AppendLine(inv, $"Learning curve over {string.Join(", ", result.LabeledCounts)} labeled target epochs per class (nested draws per seed); every point is scored on the same epochs, those not among the {result.LabeledCounts.Max()} per class drawn first. The main table is K = {result.LabeledCounts[0]}.");
        }

        if (result.HoldoutPerClass > 0)
        {
            md.AppendLine(inv, $"Holdout: {result.HoldoutPerClass} labeled target epochs per class (drawn per seed, never in training) estimate each method's accuracy before deployment; the tables score the remaining epochs.");
        }

        md.AppendLine(inv, $"Default method of `calibrate-new-subject` with this pipeline: **{result.DefaultMethod}**. {result.Networks} networks trained in {result.Seconds:F1} s.");
        md.AppendLine();
        int scored = main.Select(r => r.ScoredEpochs).DefaultIfEmpty(0).Max();
        md.AppendLine(inv, $"Target accuracy (mean over seeds per target, with its Wilson 95% interval on the {scored} scored trials; last rows: mean ± sd over all targets × seeds, then the 95% t-interval of the mean over targets).");
        md.AppendLine();
        md.AppendLine("| target | " + string.Join(" | ", result.Methods) + " |");
        md.AppendLine("|---|" + string.Concat(result.Methods.Select(_ => "---:|")));
        foreach (var target in result.Subjects)
        {
            var cells = result.Methods.Select(m =>
            {
                var at = main.Where(r => r.Target == target && r.Method == m).ToArray();
                double mean = at.Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average();
                return $"{Format(mean)} {Range(Statistics.Wilson(mean, at.Select(r => r.ScoredEpochs).DefaultIfEmpty(0).Max()))}";
            });
            md.AppendLine(inv, $"| {target} | {string.Join(" | ", cells)} |");
        }

        md.AppendLine("| **mean ± sd** | " + string.Join(" | ", result.Methods.Select(m => $"**{Format(result.Summary[m].Mean)}** ± {Format(result.Summary[m].Sd)}")) + " |");
        md.AppendLine("| 95% interval of the mean | " + string.Join(" | ", result.Methods.Select(m => Range(result.Summary[m].Interval))) + " |");
        if (result.Seeds.Count > 1)
        {
            md.AppendLine("| seed means | " + string.Join(" | ", result.Methods.Select(m => string.Join(" / ", result.Summary[m].SeedMeans.Values.Select(v => Format(v))))) + " |");
        }

        md.AppendLine();
        md.AppendLine("![per subject](per-subject.png)");
        md.AppendLine();
        md.AppendLine("![per method](methods.png)");
        md.AppendLine();
        if (result.Comparisons.Count > 0)
        {
            md.AppendLine("## Paired comparison");
            md.AppendLine();
            md.AppendLine(PairedTable(result.Comparisons));
        }

        if (result.LabeledCounts.Count > 1)
        {
            md.AppendLine("## Learning curve");
            md.AppendLine();
            md.AppendLine(CurveTable(result));
            md.AppendLine("![learning curve](learning-curve.png)");
            md.AppendLine();
        }

        if (result.HoldoutChecks.Count > 0)
        {
            md.AppendLine("## Holdout estimate");
            md.AppendLine();
            md.AppendLine(inv, $"Each target × seed: the accuracy on the {result.HoldoutPerClass} held-out epochs per class (what a lab can measure before deployment) against the accuracy on the scored epochs (what it will get).");
            md.AppendLine();
            md.AppendLine("| method | holdout mean | scored mean | mean abs. error | scored inside the holdout's 95% interval |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var h in result.HoldoutChecks)
            {
                md.AppendLine(inv, $"| {h.Method} | {Format(h.EstimateMean)} | {Format(h.ActualMean)} | {Format(h.MeanAbsoluteError)} | {h.Coverage:P0} |");
            }

            md.AppendLine();
        }

        md.Append(ConfusionMarkdown(result));
        md.AppendLine("Methods: `ea_` = Euclidean alignment of every subject with its own reference (fitted on its unlabeled epochs) and, when the pipeline standardises per subject, its features z-scored with its own statistics (without `ea_`, neither); `_xK` = an ensemble of K networks whose logits are averaged; `_8_30` = on one 8–30 Hz band; `ea_ts_lr` = EA, tangent space at the identity, logistic regression (C = 1)" + (result.Methods.Any(m => CalibrationMethod.Parse(m).WithinSubject) ? "; `_within` = the classic method fitted on the target's labeled epochs alone (the usual per-subject calibration, no source subject; no score at K = 0)." : "."));
        return md.ToString();
    }

    /// <summary>The paired comparisons as a Markdown table (per target differences, wins, p-values).</summary>
    public static string PairedTable(IReadOnlyList<PairedComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (comparisons.Count == 0)
        {
            return "";
        }

        var targets = comparisons[0].Targets;
        md.AppendLine("| comparison | " + string.Join(" | ", targets) + " | mean difference (95% interval) | wins / losses | sign test p | Wilcoxon p |");
        md.AppendLine("|---|" + string.Concat(targets.Select(_ => "---:|")) + "---:|---:|---:|---:|");
        foreach (var c in comparisons)
        {
            md.AppendLine(inv, $"| {c.Method} − {c.Baseline} | {string.Join(" | ", c.Differences.Select(Signed))} | {Signed(c.MeanDifference)} {Range(c.DifferenceInterval, signed: true)} | {c.Wins} / {c.Losses} | {c.SignTestP:0.###} | {c.WilcoxonP:0.###}{(c.WilcoxonExact ? "" : " (normal approx.)")} |");
        }

        return md.ToString();
    }

    /// <summary>The learning curve as a Markdown table: methods × labeled epochs per class, mean ± sd with the 95% interval over targets.</summary>
    public static string CurveTable(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var md = new StringBuilder();
        md.AppendLine("| method | " + string.Join(" | ", result.LabeledCounts.Select(k => $"K = {k}")) + " |");
        md.AppendLine("|---|" + string.Concat(result.LabeledCounts.Select(_ => "---:|")));
        foreach (var m in result.Methods)
        {
            var cells = result.LabeledCounts.Select(k => result.LearningCurve.FirstOrDefault(p => p.Method == m && p.TargetLabeled == k) is { } p
                ? $"{Format(p.Mean)} ± {Format(p.Sd)} {Range(p.Interval)}"
                : "–");
            md.AppendLine($"| {m} | {string.Join(" | ", cells)} |");
        }

        return md.ToString();
    }

    internal static string Range(Interval interval, bool signed = false) =>
        double.IsFinite(interval.Low) ? $"[{(signed ? Signed(interval.Low) : Format(interval.Low))}, {(signed ? Signed(interval.High) : Format(interval.High))}]" : "";

    internal static string Signed(double value) => double.IsFinite(value) ? value.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "–";

    private static JsonNode? Pair(Interval interval) =>
        double.IsFinite(interval.Low) ? new JsonArray(Number(Math.Round(interval.Low, 4)), Number(Math.Round(interval.High, 4))) : null;

    /// <summary>Writes <c>evaluation.json</c>, <c>evaluation.md</c>, <c>evaluation.html</c> (the Markdown as one self-contained page, figures embedded), <c>per-subject.png</c> <c>methods.png</c> , for more than two classes <c>confusion.png</c> and, for a learning curve, <c>learning-curve.png</c> into <paramref name="directory"/> (created if missing), atomically.</summary>
    public static async Task WriteAsync(EvaluationResult result, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var json = ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var markdown = ToMarkdown(result);
        var perSubject = ChartFigures.RenderPng(new BarChart(
            $"{result.Pipeline}, {result.Protocol.ToString().ToLowerInvariant()}: target accuracy per subject (mean over seeds)",
            result.Subjects,
            result.Methods.Select(m => new BarSeries(m, result.Subjects.Select(t => result.MainRows.Where(r => r.Target == t && r.Method == m).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average()).ToArray())).ToArray(),
            "accuracy",
            ReferenceLine: result.Chance,
            YMin: Math.Min(0.2, result.Chance - 0.05),
            YMax: 1.0), width: Math.Max(1000, 110 * result.Subjects.Count), height: 560);
        var methods = ChartFigures.RenderPng(new BarChart(
            $"{result.Pipeline}: mean target accuracy ± sd over targets × seeds",
            ["all targets"],
            result.Methods.Select(m => new BarSeries(m, [result.Summary[m].Mean], [result.Summary[m].Sd])).ToArray(),
            "accuracy",
            ReferenceLine: result.Chance,
            YMin: Math.Min(0.3, result.Chance - 0.05),
            YMax: 0.9));
        byte[]? curve = null;
        if (result.LabeledCounts.Count > 1)
        {
            var ks = result.LabeledCounts.Order().ToArray();
            curve = ChartFigures.RenderPng(
                [
                    new LinePanel(
                        $"{result.Pipeline}: accuracy against labeled target epochs per class (mean over targets × seeds)",
                        "labeled target epochs per class",
                        "accuracy",
                        result.Methods.Select((m, i) => new LineSeries(m, ks.Select(k => (double)k).ToArray(), ks.Select(k => result.LearningCurve.First(p => p.Method == m && p.TargetLabeled == k).Mean).ToArray(), i)).ToArray(),
                        ReferenceLine: result.Chance),
                ],
                panelWidth: 900,
                panelHeight: 560);
        }

        var confusion = ConfusionFigure(result);
        var html = HtmlReport.Render(null, markdown, name => name switch
        {
            "per-subject.png" => perSubject,
            "methods.png" => methods,
            "confusion.png" => confusion,
            "learning-curve.png" => curve,
            _ => null,
        });
        var files = new List<(string Path, Func<Stream, Task> Write)>
        {
            (Path.Combine(directory, "evaluation.json"), s => s.WriteAsync(Encoding.UTF8.GetBytes(json), cancellationToken).AsTask()),
            (Path.Combine(directory, "evaluation.md"), s => s.WriteAsync(Encoding.UTF8.GetBytes(markdown), cancellationToken).AsTask()),
            (Path.Combine(directory, "evaluation.html"), s => s.WriteAsync(Encoding.UTF8.GetBytes(html), cancellationToken).AsTask()),
            (Path.Combine(directory, "per-subject.png"), s => s.WriteAsync(perSubject, cancellationToken).AsTask()),
            (Path.Combine(directory, "methods.png"), s => s.WriteAsync(methods, cancellationToken).AsTask()),
        };
        if (confusion is { } confusionBytes)
        {
            files.Add((Path.Combine(directory, "confusion.png"), s => s.WriteAsync(confusionBytes, cancellationToken).AsTask()));
        }

        if (curve is { } curveBytes)
        {
            files.Add((Path.Combine(directory, "learning-curve.png"), s => s.WriteAsync(curveBytes, cancellationToken).AsTask()));
        }

        await AtomicFile.WriteAllAsync(files, cancellationToken);
    }

    internal static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    internal static string Format(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "–";
}
