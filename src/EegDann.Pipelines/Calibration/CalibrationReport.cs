// Why one file of about 400 lines: the calibration report (its input record, its JSON and Markdown
// renderings) kept together so the two renderings cannot drift.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Dsp.LinearAlgebra;
using EegDann.Model;
using EegDann.Pipelines.Definitions;
using EegDann.Reports;

namespace EegDann.Pipelines.Calibration;

/// <summary>Everything a calibration report is made from.</summary>
internal sealed record CalibrationReportInput(
    PipelineDefinition Definition,
    CalibrationData Data,
    CrossSubjectRunner Runner,
    FoldOutcome Outcome,
    MethodRun Chosen,
    KeptModel Model,
    KeptModel? Reference,
    string Target,
    IReadOnlyList<string> Sources,
    int TargetLabeledPerClass,
    int Seed,
    string? ModelPath,
    string ModelId,
    IReadOnlyDictionary<string, double> Timings);

/// <summary>
/// The report of <c>calibrate-new-subject</c>: a JSON document (every method's target accuracy when
/// the target's cues allow scoring, balanced accuracy, confusion matrix, training curves, timings,
/// what the target's data was used for), a Markdown summary, and PNG figures — per-method bars,
/// training curves, and source/target features before and after adaptation projected to 2-D (PCA).
/// </summary>
public sealed class CalibrationReport
{
    private readonly byte[] _methods;
    private readonly byte[] _training;
    private readonly byte[] _features;
    private readonly byte[]? _confusion;

    private CalibrationReport(JsonObject json, string markdown, byte[] methods, byte[] training, byte[] features, byte[]? confusion)
    {
        Json = json;
        Markdown = markdown;
        _methods = methods;
        _training = training;
        _features = features;
        _confusion = confusion;
    }

    /// <summary>The JSON document.</summary>
    public JsonObject Json { get; }

    /// <summary>The Markdown summary (links the figures by their file names).</summary>
    public string Markdown { get; }

    /// <summary>
    /// The report's files for a JSON path <c>BASE.json</c>: BASE.json, BASE.md, BASE.html (the
    /// Markdown as one self-contained page, figures embedded), BASE.methods.png, BASE.training.png,
    /// BASE.features.png, and BASE.confusion.png with more than two classes.
    /// </summary>
    public IReadOnlyList<(string Path, byte[] Content)> Files(string jsonPath)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
        string stem = Path.GetFileName(jsonPath);
        stem = stem.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? stem[..^5] : stem;
        string Beside(string suffix) => Path.Combine(directory, stem + suffix);
        var markdown = Markdown.Replace("(methods.png)", $"({stem}.methods.png)", StringComparison.Ordinal)
            .Replace("(training.png)", $"({stem}.training.png)", StringComparison.Ordinal)
            .Replace("(features.png)", $"({stem}.features.png)", StringComparison.Ordinal)
            .Replace("(confusion.png)", $"({stem}.confusion.png)", StringComparison.Ordinal);
        List<(string Path, byte[] Content)> files =
        [
            (Path.GetFullPath(jsonPath), Encoding.UTF8.GetBytes(Json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))),
            (Beside(".md"), Encoding.UTF8.GetBytes(markdown)),
            (Beside(".html"), Encoding.UTF8.GetBytes(Html())),
            (Beside(".methods.png"), _methods),
            (Beside(".training.png"), _training),
            (Beside(".features.png"), _features),
        ];
        if (_confusion is { } confusion)
        {
            files.Add((Beside(".confusion.png"), confusion));
        }

        return files;
    }

    /// <summary>The report as one self-contained HTML page (the Markdown with its figures embedded as data URIs).</summary>
    public string Html() => HtmlReport.Render(null, Markdown, name => name switch
    {
        "methods.png" => _methods,
        "training.png" => _training,
        "features.png" => _features,
        "confusion.png" => _confusion,
        _ => null,
    });

    internal static CalibrationReport Build(CalibrationReportInput input)
    {
        var outcome = input.Outcome;
        var data = input.Data;
        var target = data.Subjects[input.Target];
        bool scored = outcome.Scored[input.Seed].Count > 0;
        string targetUse = scored
            ? "The target's cue events located its epochs; their labels were used only to score the methods in this report, never in training" +
              (input.TargetLabeledPerClass > 0 ? $", except {input.TargetLabeledPerClass} epochs of each class (drawn from the seed), which joined training as labeled data and are not scored." : ".")
            : "The target recordings carry no cue events: the methods are trained on its unlabeled sliding windows and cannot be scored.";

        var methods = new JsonArray();
        foreach (var run in outcome.Runs)
        {
            methods.Add(new JsonObject
            {
                ["method"] = run.Method.Name,
                ["description"] = run.Method.DescriptionWith(input.Definition),
                ["chosen"] = run.Method.Name == input.Chosen.Method.Name,
                ["accuracy"] = run.Score is null ? null : EvaluationReport.Number(run.Score.Accuracy),
                ["balanced_accuracy"] = run.Score is null ? null : EvaluationReport.Number(run.Score.BalancedAccuracy),
                ["accuracy_ci95"] = run.Score is null ? null : Pair(Statistics.Wilson(run.Score.Accuracy, outcome.Scored[input.Seed].Count)),
                ["holdout_accuracy"] = run.HoldoutScore is null ? null : EvaluationReport.Number(run.HoldoutScore.Accuracy),
                ["holdout_accuracy_ci95"] = run.HoldoutScore is null ? null : Pair(Statistics.Wilson(run.HoldoutScore.Accuracy, outcome.Holdout[input.Seed].Count)),
                ["confusion"] = run.Score is null ? null : new JsonObject
                {
                    ["classes"] = new JsonArray(data.ClassNames.Select(c => (JsonNode)c).ToArray()),
                    ["rows_true_columns_predicted"] = new JsonArray(run.Score.Confusion.Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray()),
                },
                ["member_seeds"] = new JsonArray(run.MemberSeeds.Select(s => (JsonNode)s).ToArray()),
                ["failure"] = run.Failure?.ToString(),
                ["training_curves"] = run.Curves.Count == 0 ? null : Curves(run.Curves),
            });
        }

        var json = new JsonObject
        {
            ["format"] = "eegdann-calibration-report",
            ["version"] = 1,
            ["eegdann_version"] = EegDannVersion.Current,
            ["pipeline"] = input.Definition.Name,
            ["pipeline_source"] = input.Definition.Source,
            ["method"] = input.Chosen.Method.Name,
            ["seed"] = input.Seed,
            ["model"] = new JsonObject { ["path"] = input.ModelPath, ["id"] = input.ModelId, ["pipeline_variant"] = input.Model.Definition.Name },
            ["target"] = new JsonObject
            {
                ["subject"] = input.Target,
                ["recordings"] = new JsonArray(target.Recordings.Select(r => (JsonNode)Path.GetFileName(r)).ToArray()),
                ["cue_epochs"] = target.Epochs.Count,
                ["unlabeled_windows"] = target.Windows?.Count,
                ["labeled_epochs_in_training"] = outcome.LabeledTarget[input.Seed].Count,
                ["scored_epochs"] = outcome.Scored[input.Seed].Count,
                ["holdout_epochs"] = outcome.Holdout[input.Seed].Count,
                ["labels_used_for"] = scored ? (input.TargetLabeledPerClass > 0 ? "scoring, and training with the labeled epochs named in the methods' runs" : "scoring only") : "nothing (no cue events)",
            },
            ["sources"] = new JsonArray(input.Sources.Select(s => (JsonNode)new JsonObject
            {
                ["subject"] = s,
                ["recordings"] = new JsonArray(data.Subjects[s].Recordings.Select(r => (JsonNode)Path.GetFileName(r)).ToArray()),
                ["epochs"] = data.Subjects[s].Epochs.Count,
            }).ToArray()),
            ["leakage"] = new JsonArray(
                "Nothing is fitted on the target's labels" + (input.TargetLabeledPerClass > 0 ? " apart from the labeled epochs named above." : "."),
                "The target enters training only through its own Euclidean alignment (fitted on its unlabeled data), its unlabeled feature rows (DANN's domain loss, the reweighting classifier) and, semi-supervised, the labeled epochs.",
                "Input standardisation, CSP and LDA are fitted on the labeled sources only.",
                targetUse),
            ["methods"] = methods,
            ["timings_seconds"] = new JsonObject(input.Timings.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 3)))
                .Append(KeyValuePair.Create("networks_trained", (JsonNode?)outcome.Timings.NetworkCount))
                .Append(KeyValuePair.Create("networks_seconds", (JsonNode?)Math.Round(outcome.Timings.NetworksSeconds, 3)))
                .Append(KeyValuePair.Create("csp_lda_seconds", (JsonNode?)Math.Round(outcome.Timings.CspLdaSeconds, 3)))),
        };

        var confusions = outcome.Runs.Where(r => r.Score is not null).Select(r => (r.Method.Name, (IReadOnlyList<IReadOnlyList<int>>)r.Score!.Confusion)).ToArray();
        var confusionFigure = ConfusionSection.Applies(data.ClassNames) ? ConfusionSection.Figure(data.ClassNames, confusions) : null;
        return new CalibrationReport(json, BuildMarkdown(input, targetUse, confusions), MethodsFigure(input), TrainingFigure(input), FeaturesFigure(input), confusionFigure);
    }

    private static JsonArray Pair(Interval interval) => new(EvaluationReport.Number(Math.Round(interval.Low, 4)), EvaluationReport.Number(Math.Round(interval.High, 4)));

    private static JsonObject Curves(IReadOnlyList<EpochDiagnostics> curves) => new()
    {
        ["epoch"] = new JsonArray(curves.Select(c => (JsonNode)c.Epoch).ToArray()),
        ["label_loss"] = new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.LabelLoss, 5))).ToArray()),
        ["source_accuracy"] = new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.SourceAccuracy, 5))).ToArray()),
        ["domain_loss"] = curves[0].DomainLoss is null ? null : new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.DomainLoss ?? double.NaN, 5))).ToArray()),
        ["domain_accuracy"] = curves[0].DomainAccuracy is null ? null : new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.DomainAccuracy ?? double.NaN, 5))).ToArray()),
        ["lambda"] = new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.Lambda, 5))).ToArray()),
        ["learning_rate"] = new JsonArray(curves.Select(c => EvaluationReport.Number(Math.Round(c.LearningRate, 7))).ToArray()),
    };

    private static string BuildMarkdown(CalibrationReportInput input, string targetUse, IReadOnlyList<(string Title, IReadOnlyList<IReadOnlyList<int>> Matrix)> confusions)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"# Calibration of {input.Target} with {input.Chosen.Method.Name}");
        md.AppendLine();
        md.AppendLine(inv, $"Pipeline `{input.Definition.Name}`; sources {string.Join(", ", input.Sources)} (labeled); target {input.Target}; seed {input.Seed}; model id `{input.ModelId}`.");
        md.AppendLine();
        md.AppendLine(targetUse);
        md.AppendLine();
        int scoredCount = input.Outcome.Scored[input.Seed].Count, holdoutCount = input.Outcome.Holdout[input.Seed].Count;
        bool holdout = holdoutCount > 0;
        md.AppendLine("| method | accuracy (95% interval) | balanced accuracy | confusion (rows true, columns predicted) |" + (holdout ? " holdout estimate (95% interval) |" : ""));
        md.AppendLine("|---|---:|---:|---|" + (holdout ? "---:|" : ""));
        foreach (var run in input.Outcome.Runs)
        {
            string name = run.Method.Name == input.Chosen.Method.Name ? $"**{run.Method.Name}** (model)" : run.Method.Name;
            string confusion = run.Score is null ? "" : string.Join(" / ", run.Score.Confusion.Select(r => string.Join(" ", r)));
            string accuracy = run.Failure != null ? "failed" : run.Score is null ? "–" : $"{EvaluationReport.Format(run.Score.Accuracy)} {EvaluationReport.Range(Statistics.Wilson(run.Score.Accuracy, scoredCount))}";
            string estimate = !holdout ? "" : run.HoldoutScore is null ? " – |" : $" {EvaluationReport.Format(run.HoldoutScore.Accuracy)} {EvaluationReport.Range(Statistics.Wilson(run.HoldoutScore.Accuracy, holdoutCount))} |";
            md.AppendLine(inv, $"| {name} | {accuracy} | {(run.Score is null ? "–" : EvaluationReport.Format(run.Score.BalancedAccuracy))} | {confusion} |{estimate}");
        }

        md.AppendLine();
        string heldOut = holdout ? string.Create(inv, $"; held out: {holdoutCount} labeled epochs never used in training, the estimate a lab can make before deployment. ") : ". ";
        md.AppendLine(inv, $"Classes: {string.Join(", ", input.Data.ClassNames)}. Scored target epochs: {scoredCount} (Wilson 95% intervals){heldOut}Networks trained together: {input.Outcome.Timings.NetworkCount} in {input.Outcome.Timings.NetworksSeconds:F1} s.");
        md.AppendLine();
        if (ConfusionSection.Applies(input.Data.ClassNames) && confusions.Count > 0)
        {
            md.Append(ConfusionSection.Markdown(
                input.Data.ClassNames,
                confusions,
                string.Create(inv, $"Confusion matrices of the scored target epochs (rows true class, columns predicted; chance 1/{input.Data.ClassNames.Count} = {EvaluationReport.Format(1.0 / input.Data.ClassNames.Count)}):"),
                "confusion.png"));
        }

        md.AppendLine("Methods:");
        foreach (var run in input.Outcome.Runs)
        {
            md.AppendLine(inv, $"- `{run.Method.Name}`: {run.Method.DescriptionWith(input.Definition)}.");
        }

        md.AppendLine();
        md.AppendLine("![methods](methods.png)");
        md.AppendLine();
        md.AppendLine("![training curves](training.png)");
        md.AppendLine();
        md.AppendLine("![features before and after adaptation](features.png)");
        return md.ToString();
    }

    private static byte[] MethodsFigure(CalibrationReportInput input)
    {
        var runs = input.Outcome.Runs;
        return ChartFigures.RenderPng(new BarChart(
            $"{input.Target} ← {Describe(input.Sources)}: target accuracy per method (dashed: chance)",
            ["accuracy", "balanced accuracy"],
            runs.Select(r => new BarSeries(r.Method.Name, [r.Score?.Accuracy ?? double.NaN, r.Score?.BalancedAccuracy ?? double.NaN])).ToArray(),
            "target accuracy",
            ReferenceLine: 1.0 / input.Data.ClassNames.Count,
            YMin: 0,
            YMax: 1));
    }

    private static byte[] TrainingFigure(CalibrationReportInput input)
    {
        var networks = input.Outcome.Runs.Where(r => r.Curves.Count > 0).ToArray();
        var adversarial = networks.Where(r => r.Curves[0].DomainLoss is not null).ToArray();
        LineSeries Line(MethodRun run, Func<EpochDiagnostics, double> value, int color) =>
            new(run.Method.Name, run.Curves.Select(c => (double)c.Epoch).ToArray(), run.Curves.Select(value).ToArray(), color);
        int Color(MethodRun run) => input.Outcome.Runs.ToList().IndexOf(run);
        var chosen = input.Chosen;
        var panels = new List<LinePanel>
        {
            new("source label loss", "epoch", "cross-entropy", networks.Select(r => Line(r, c => c.LabelLoss, Color(r))).ToArray()),
            new("source accuracy", "epoch", "accuracy", networks.Select(r => Line(r, c => c.SourceAccuracy, Color(r))).ToArray()),
        };
        if (adversarial.Length > 0)
        {
            panels.Add(new LinePanel("domain loss", "epoch", "cross-entropy", adversarial.Select(r => Line(r, c => c.DomainLoss ?? double.NaN, Color(r))).ToArray()));
            panels.Add(new LinePanel("domain accuracy (balanced; chance dashed)", "epoch", "accuracy", adversarial.Select(r => Line(r, c => c.DomainAccuracy ?? double.NaN, Color(r))).ToArray(), 1.0 / Math.Max(2, input.Model.Model.Spec.DomainCount)));
        }

        panels.Add(new LinePanel("λ and learning rate (×100)", "epoch", "value",
        [
            new LineSeries("λ", chosen.Curves.Select(c => (double)c.Epoch).ToArray(), chosen.Curves.Select(c => c.Lambda).ToArray(), 0),
            new LineSeries("learning rate × 100", chosen.Curves.Select(c => (double)c.Epoch).ToArray(), chosen.Curves.Select(c => c.LearningRate * 100).ToArray(), 1),
        ]));
        return ChartFigures.RenderPng(panels);
    }

    private static byte[] FeaturesFigure(CalibrationReportInput input)
    {
        var outcome = input.Outcome;
        var target = input.Data.Subjects[input.Target];
        var sources = input.Sources.Select(s => input.Data.Subjects[s]).ToArray();
        var labeled = CrossSubjectRunner.LabeledTargetEpochs(target, input.Data.ClassNames, input.TargetLabeledPerClass, input.Seed);
        var scoredSet = outcome.Scored[input.Seed].ToHashSet();
        var scored = target.Epochs.Epochs.Where(e => scoredSet.Contains(e.Info)).ToArray();
        var problem = input.Runner.BuildProblem(input.Model.Method.Aligned, sources, target, labeled, scored, !target.HasCues);
        var sourceLabels = problem.Problem.Source.Labels;
        // Target points are coloured by class only when the target's cues give one (display only; not used in training).
        int[]? targetLabels = target.HasCues ? target.Epochs.Epochs.Select(e => ClassCovariances.IndexOf(input.Data.ClassNames, e.Info.Label)).ToArray() : null;
        // The inputs as the network sees them: its own standardisation (fitted on the sources).
        var model = input.Model.Model;

        var panels = new List<ScatterPanel>
        {
            Panel($"input features ({problem.SourceRows.SampleSize}-D), before adaptation", model.Standardize(problem.SourceRows), model.Standardize(problem.TargetRows), sourceLabels, targetLabels, input.Data.ClassNames),
        };
        if (input.Reference is { } reference)
        {
            panels.Add(Panel($"{reference.Method.Name} network features", reference.Model.ExtractFeatures(problem.SourceRows), reference.Model.ExtractFeatures(problem.TargetRows), sourceLabels, targetLabels, input.Data.ClassNames));
        }

        panels.Add(Panel($"{input.Model.Method.Name} network features, after adaptation", input.Model.Model.ExtractFeatures(problem.SourceRows), input.Model.Model.ExtractFeatures(problem.TargetRows), sourceLabels, targetLabels, input.Data.ClassNames));
        return ScatterFigures.RenderPng(panels, panelWidth: 560, height: 520);
    }

    private static ScatterPanel Panel(string title, float[][] source, float[][] target, int[] sourceLabels, int[]? targetLabels, IReadOnlyList<string> classes)
    {
        var (sx, sy, tx, ty) = Pca(source, target);
        var groups = new List<PointGroup>();
        for (int k = 0; k < classes.Count; k++)
        {
            var s = Enumerable.Range(0, source.Length).Where(i => sourceLabels[i] == k).ToArray();
            groups.Add(new PointGroup($"source {classes[k]}", s.Select(i => sx[i]).ToArray(), s.Select(i => sy[i]).ToArray(), k, PointStyle.Filled));
        }

        if (targetLabels is null)
        {
            groups.Add(new PointGroup("target (unlabeled)", tx, ty, 7, PointStyle.Open));
        }
        else
        {
            for (int k = 0; k < classes.Count; k++)
            {
                var t = Enumerable.Range(0, target.Length).Where(i => targetLabels[i] == k).ToArray();
                groups.Add(new PointGroup($"target {classes[k]}", t.Select(i => tx[i]).ToArray(), t.Select(i => ty[i]).ToArray(), k, PointStyle.Open));
            }
        }

        return new ScatterPanel(title, groups, XLabel: "PC 1", YLabel: "PC 2");
    }

    /// <summary>The first two principal components of source and target together (centred on their joint mean).</summary>
    private static (double[] SX, double[] SY, double[] TX, double[] TY) Pca(float[][] source, float[][] target)
    {
        var all = source.Concat(target).ToArray();
        int d = all[0].Length, n = all.Length;
        var mean = new double[d];
        foreach (var row in all)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += row[j] / (double)n;
            }
        }

        var covariance = new double[d * d];
        foreach (var row in all)
        {
            for (int a = 0; a < d; a++)
            {
                double va = row[a] - mean[a];
                for (int b = a; b < d; b++)
                {
                    covariance[(a * d) + b] += va * (row[b] - mean[b]) / n;
                }
            }
        }

        for (int a = 0; a < d; a++)
        {
            for (int b = 0; b < a; b++)
            {
                covariance[(a * d) + b] = covariance[(b * d) + a];
            }
        }

        var eigen = new SymmetricEigen(d);
        eigen.Decompose(covariance);
        // Eigenvalues ascend: the last two columns are the leading components.
        double[] Project(float[] row, int column)
        {
            double v = 0;
            for (int j = 0; j < d; j++)
            {
                v += (row[j] - mean[j]) * eigen.Vectors[(j * d) + column];
            }

            return [v];
        }

        double[] Axis(float[][] rows, int column) => rows.Select(r => Project(r, column)[0]).ToArray();
        return (Axis(source, d - 1), Axis(source, Math.Max(0, d - 2)), Axis(target, d - 1), Axis(target, Math.Max(0, d - 2)));
    }

    private static string Describe(IReadOnlyList<string> sources) => sources.Count <= 3 ? string.Join(", ", sources) : $"{sources.Count} subjects";
}
