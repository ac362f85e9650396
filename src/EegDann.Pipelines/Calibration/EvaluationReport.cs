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
/// <c>per-subject.png</c> and <c>methods.png</c>. All files are written atomically together.
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
            };
        }

        return new JsonObject
        {
            ["pipeline"] = result.Pipeline,
            ["protocol"] = result.Protocol.ToString().ToLowerInvariant(),
            ["subjects"] = new JsonArray(result.Subjects.Select(s => (JsonNode)s).ToArray()),
            ["seeds"] = new JsonArray(result.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["target_labeled_per_class"] = result.TargetLabeledPerClass,
            ["methods"] = new JsonArray(result.Methods.Select(m => (JsonNode)m).ToArray()),
            ["default_method"] = result.DefaultMethod,
            ["rows"] = rows,
            ["summary"] = summary,
            ["networks_trained"] = result.Networks,
            ["load_seconds"] = Math.Round(result.LoadSeconds, 2),
            ["total_seconds"] = Math.Round(result.Seconds, 2),
            ["eegdann_version"] = EegDannVersion.Current,
        };
    }

    /// <summary>The Markdown report.</summary>
    public static string ToMarkdown(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# Cross-subject evaluation: {result.Pipeline}, {result.Protocol.ToString().ToLowerInvariant()}");
        md.AppendLine();
        md.AppendLine($"Subjects {string.Join(", ", result.Subjects)}; seeds {string.Join(", ", result.Seeds)}; " +
            (result.TargetLabeledPerClass > 0
                ? $"{result.TargetLabeledPerClass} labeled target epochs per class join training (drawn at random from each seed) and are not scored."
                : "the target is unlabeled in training; its cue labels are used only to score."));
        md.AppendLine(inv, $"Default method of `calibrate-new-subject` with this pipeline: **{result.DefaultMethod}**. {result.Networks} networks trained in {result.Seconds:F1} s.");
        md.AppendLine();
        md.AppendLine("Target accuracy (mean over seeds per target; last row: mean ± sd over all targets × seeds).");
        md.AppendLine();
        md.AppendLine("| target | " + string.Join(" | ", result.Methods) + " |");
        md.AppendLine("|---|" + string.Concat(result.Methods.Select(_ => "---:|")));
        foreach (var target in result.Subjects)
        {
            var cells = result.Methods.Select(m => result.Rows.Where(r => r.Target == target && r.Method == m).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average());
            md.AppendLine(inv, $"| {target} | {string.Join(" | ", cells.Select(v => Format(v)))} |");
        }

        md.AppendLine("| **mean ± sd** | " + string.Join(" | ", result.Methods.Select(m => $"**{Format(result.Summary[m].Mean)}** ± {Format(result.Summary[m].Sd)}")) + " |");
        if (result.Seeds.Count > 1)
        {
            md.AppendLine("| seed means | " + string.Join(" | ", result.Methods.Select(m => string.Join(" / ", result.Summary[m].SeedMeans.Values.Select(v => Format(v))))) + " |");
        }

        md.AppendLine();
        md.AppendLine("![per subject](per-subject.png)");
        md.AppendLine();
        md.AppendLine("![per method](methods.png)");
        md.AppendLine();
        md.AppendLine("Methods: `ea_` = Euclidean alignment of every subject with its own reference (fitted on its unlabeled epochs); `_xK` = an ensemble of K networks whose logits are averaged.");
        return md.ToString();
    }

    /// <summary>Writes <c>evaluation.json</c>, <c>evaluation.md</c>, <c>evaluation.html</c> (the Markdown as one self-contained page, figures embedded), <c>per-subject.png</c> and <c>methods.png</c> into <paramref name="directory"/> (created if missing), atomically.</summary>
    public static async Task WriteAsync(EvaluationResult result, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(directory);
        var json = ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var markdown = ToMarkdown(result);
        var perSubject = ChartFigures.RenderPng(new BarChart(
            $"{result.Pipeline}, {result.Protocol.ToString().ToLowerInvariant()}: target accuracy per subject (mean over seeds)",
            result.Subjects,
            result.Methods.Select(m => new BarSeries(m, result.Subjects.Select(t => result.Rows.Where(r => r.Target == t && r.Method == m).Select(r => r.Accuracy).DefaultIfEmpty(double.NaN).Average()).ToArray())).ToArray(),
            "accuracy",
            ReferenceLine: 0.5,
            YMin: 0.2,
            YMax: 1.0), width: Math.Max(1000, 110 * result.Subjects.Count), height: 560);
        var methods = ChartFigures.RenderPng(new BarChart(
            $"{result.Pipeline}: mean target accuracy ± sd over targets × seeds",
            ["all targets"],
            result.Methods.Select(m => new BarSeries(m, [result.Summary[m].Mean], [result.Summary[m].Sd])).ToArray(),
            "accuracy",
            ReferenceLine: 0.5,
            YMin: 0.3,
            YMax: 0.9));
        var html = HtmlReport.Render(null, markdown, name => name switch
        {
            "per-subject.png" => perSubject,
            "methods.png" => methods,
            _ => null,
        });
        await AtomicFile.WriteAllAsync(
            [
                (Path.Combine(directory, "evaluation.json"), s => s.WriteAsync(Encoding.UTF8.GetBytes(json), cancellationToken).AsTask()),
                (Path.Combine(directory, "evaluation.md"), s => s.WriteAsync(Encoding.UTF8.GetBytes(markdown), cancellationToken).AsTask()),
                (Path.Combine(directory, "evaluation.html"), s => s.WriteAsync(Encoding.UTF8.GetBytes(html), cancellationToken).AsTask()),
                (Path.Combine(directory, "per-subject.png"), s => s.WriteAsync(perSubject, cancellationToken).AsTask()),
                (Path.Combine(directory, "methods.png"), s => s.WriteAsync(methods, cancellationToken).AsTask()),
            ],
            cancellationToken);
    }

    internal static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    internal static string Format(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "–";
}
