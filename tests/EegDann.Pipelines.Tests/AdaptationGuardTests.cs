using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Pipelines.Tests;

/// <summary>
/// Guards of the adaptation methods on the shipped recordings: the target's labels reach no
/// network (every method, with and without labeled target epochs), and the default's accuracy
/// on a small deterministic leave-one-subject-out and on the S001 → S002 calibration does not drop.
/// </summary>
public sealed class AdaptationGuardTests
{
    private static readonly string[] Runs = ["R04", "R08", "R12"];

    /// <summary>Every network method (aligned and not, single and ensembles), the classic baselines, the bias-adapted (<c>_ba</c>) and the cropped (<c>_crops</c>: the target's crops carry its labels in memory) variants.</summary>
    private static readonly string[] EveryMethod =
    [
        "source_only", "reweighting", "dann", "dann_multi_source", "dann_im", "source_only_im", "cdan",
        "ea_source_only_x2", "ea_reweighting", "ea_dann_x2", "ea_dann_multi_source", "ea_dann_im_x2", "ea_source_only_im_x2", "ea_cdan_x2",
        "ea_dann_refit_x2", "ea_source_only_refit", "ea_dann_st_x2", "ea_source_only_st",
        "csp_lda", "ea_csp_lda",
        "ea_dann_ba_x2", "ea_source_only_ba", "ea_csp_lda_ba", "ea_csp_lda_8_30_ba", "ea_ts_lr_ba",
        "ea_dann_crops_x2", "ea_source_only_crops", "dann_crops",
    ];

    private static async Task<(string Name, Recording Recording)[]> Subject(string subject) =>
        await Task.WhenAll(Runs.Select(async r => ($"{subject}{r}.parquet", await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, $"{subject}{r}.parquet")))));

    private static int LabelIndex(string label) => label == "T1" ? 0 : 1;

    /// <summary>
    /// The target's recordings with the labels of many pairs of neighbouring cue epochs of different
    /// classes swapped, none of them among the <paramref name="perClass"/> per class that seed 0
    /// gives to training. Swapping neighbours keeps every other epoch's rank within its class, so the
    /// epochs drawn for training (and their labels) stay the same; only labels no network may read change.
    /// </summary>
    private static (string Name, Recording Recording)[] SwapLabelsNotGiven((string Name, Recording Recording)[] target, int perClass)
    {
        var cues = target.SelectMany((t, r) => t.Recording.Events.Select((e, i) => (Run: r, Index: i, e.Label)).Where(c => c.Label is "T1" or "T2")).ToArray();
        var given = LabeledSelection.PerClass(cues.Select(c => LabelIndex(c.Label)).ToArray(), perClass, seed: 0).Selected.ToHashSet();
        var labels = target.Select(t => t.Recording.Events.Select(e => e.Label).ToArray()).ToArray();
        int swapped = 0;
        for (int k = 0; k + 1 < cues.Length; k++)
        {
            if (cues[k].Run == cues[k + 1].Run && cues[k].Label != cues[k + 1].Label && !given.Contains(k) && !given.Contains(k + 1))
            {
                (labels[cues[k].Run][cues[k].Index], labels[cues[k].Run][cues[k + 1].Index]) = (cues[k + 1].Label, cues[k].Label);
                swapped++;
                k++;
            }
        }

        Assert.True(swapped >= 8, $"only {swapped} pairs swapped");
        return target.Select((t, r) => (t.Name, new Recording(t.Recording.Info, t.Recording.Samples, t.Recording.Events.Select((e, i) => e with { Label = labels[r][i] }).ToArray(), t.Recording.Metadata))).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task ChangingTheLabelsOfTheTargetEpochsNotGivenChangesNoPredictionOfAnyMethod(int perClass)
    {
        var sources = (await Subject("S001")).Concat(await Subject("S003")).ToArray();
        var target = await Subject("S002");
        var changed = SwapLabelsNotGiven(target, perClass);
        var methods = EveryMethod.Select(CalibrationMethod.Parse).ToArray();

        var outcomes = new List<FoldOutcome>();
        foreach (var t in new[] { target, changed })
        {
            var data = CalibrationData.Create(CalibrationTests.Small(), sources.Concat(t).ToArray());
            outcomes.Add(new CrossSubjectRunner(data).Run(new CrossSubjectFold("S002", ["S001", "S003"]), methods, [0], perClass));
        }

        using var original = outcomes[0];
        using var swapped = outcomes[1];
        Assert.Equal(2 * perClass, original.LabeledTarget[0].Count);
        Assert.Equal(original.LabeledTarget[0], swapped.LabeledTarget[0]);
        Assert.Equal(original.Scored[0].Select(e => e with { Label = null }), swapped.Scored[0].Select(e => e with { Label = null }));
        Assert.NotEqual(original.Scored[0].Select(e => e.Label), swapped.Scored[0].Select(e => e.Label));
        Assert.Equal(methods.Length, original.Runs.Count);
        foreach (var (a, b) in original.Runs.Zip(swapped.Runs))
        {
            Assert.Null(a.Failure);
            Assert.Equal(a.Method.Name, b.Method.Name);
            Assert.Equal(a.Predicted, b.Predicted);
        }

        // The labeled variant of each method is what trained: plain DANN turns semi-supervised, the others keep their name.
        Assert.Contains(original.Runs, r => r.Method.Name == (perClass > 0 ? "dann_semi" : "dann"));
        Assert.Contains(original.Runs, r => r.Method.Name == "ea_dann_im_x2");
        // The refitted head reads the labeled epochs: with them it decodes differently from the same networks without a refit.
        var refit = original.Runs.Single(r => r.Method.Name == "ea_dann_refit_x2");
        var plain = original.Runs.Single(r => r.Method.Name == (perClass > 0 ? "ea_dann_semi_x2" : "ea_dann_x2"));
        if (perClass == 0)
        {
            Assert.Equal(plain.Predicted, refit.Predicted);
        }
        // The scores do change: scoring is the only use of those labels.
        Assert.Contains(original.Runs.Zip(swapped.Runs), p => p.First.Score!.Accuracy != p.Second.Score!.Accuracy);
    }

    /// <summary>
    /// A within-subject method (<c>_within</c>) is fitted on the target's labeled epochs alone: the
    /// sources change none of its predictions, the labels of the target epochs not given change none,
    /// and with no labeled epoch it has no score (a failed run naming why), never a guess.
    /// </summary>
    [Fact]
    public async Task AWithinSubjectMethodReadsTheGivenTargetEpochsAloneAndHasNoScoreWithoutThem()
    {
        const int perClass = 5;
        var s001 = await Subject("S001");
        var s003 = await Subject("S003");
        var s004 = await Subject("S004");
        var target = await Subject("S002");
        var methods = new[] { "ea_csp_lda_8_30_within", "csp_lda_8_30_within", "ea_csp_lda_within", "ea_ts_lr_within" }.Select(CalibrationMethod.Parse).ToArray();

        FoldOutcome Run((string, Recording)[] sources, string[] sourceNames, (string, Recording)[] t, int k)
        {
            var data = CalibrationData.Create(CalibrationTests.Small(), sources.Concat(t).ToArray());
            return new CrossSubjectRunner(data).Run(new CrossSubjectFold("S002", sourceNames), methods, [0], k);
        }

        using var original = Run([.. s001, .. s003], ["S001", "S003"], target, perClass);
        using var otherSources = Run(s004, ["S004"], target, perClass);
        using var swapped = Run([.. s001, .. s003], ["S001", "S003"], SwapLabelsNotGiven(target, perClass), perClass);
        using var none = Run([.. s001, .. s003], ["S001", "S003"], target, 0);

        Assert.Equal(original.Scored[0].Select(e => e with { Label = null }), otherSources.Scored[0].Select(e => e with { Label = null }));
        foreach (var ((a, b), c) in original.Runs.Zip(otherSources.Runs).Zip(swapped.Runs))
        {
            Assert.Null(a.Failure);
            Assert.NotNull(a.Score);
            Assert.Equal(a.Predicted, b.Predicted);
            Assert.Equal(a.Predicted, c.Predicted);
            Assert.Equal(2, a.Predicted!.Distinct().Count());
        }

        Assert.All(none.Runs, r =>
        {
            Assert.Null(r.Predicted);
            Assert.Null(r.Score);
            Assert.Contains("no labeled target epochs", r.Failure!.Reason, StringComparison.Ordinal);
        });
    }

    /// <summary>
    /// The default of the shipped mi-fb-dann.json, trained as shipped (100 epochs, ensemble of 5,
    /// seed 0), on a leave-one-subject-out of the four shipped subjects and on the S001 → S002
    /// calibration. Same seed and data give the same networks, so these accuracies are exact on one
    /// machine; the bounds allow one epoch of slack per target (another CPU may round differently).
    /// A change that makes the default lose accuracy here fails.
    /// </summary>
    [Fact]
    public async Task TheDefaultKeepsItsAccuracyOnTheShippedLeaveOneSubjectOutAndOnTheS001ToS002Calibration()
    {
        var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
        var method = CalibrationMethod.Of(definition);
        Assert.Equal(PinnedDefault, method.Name);
        string[] subjects = ["S001", "S002", "S003", "S004"];
        var recordings = (await Task.WhenAll(subjects.Select(Subject))).SelectMany(r => r).ToArray();
        var runner = new CrossSubjectRunner(CalibrationData.Create(definition, recordings)) { DiagnosticSamples = Evaluate.EvaluationDiagnosticSamples };

        var accuracies = new Dictionary<string, double>();
        foreach (var target in subjects)
        {
            using var outcome = runner.Run(new CrossSubjectFold(target, subjects.Where(s => s != target).ToArray()), [method], [0], 0);
            accuracies[target] = Assert.Single(outcome.Runs).Score!.Accuracy;
        }

        var sources = (await Subject("S001")).Select(r => RecordingInput.FromRecording(r.Recording, r.Name)).ToArray();
        var targets = (await Subject("S002")).Select(r => RecordingInput.FromRecording(r.Recording, r.Name)).ToArray();
        using var calibration = await CalibrateNewSubject.RunAsync(new CalibrateRequest { Pipeline = definition, Sources = sources, Targets = targets, Baselines = false }, NullLogger.Instance);
        double calibrated = (double)calibration.Report.Json["methods"]!.AsArray().Single()!["accuracy"]!;

        string measured = string.Join(", ", accuracies.Select(p => $"{p.Key} {p.Value * 45:F0}/45")) + $"; S001 → S002 {calibrated * 45:F0}/45";
        foreach (var (target, pinned) in PinnedLoso)
        {
            Assert.True(accuracies[target] >= (pinned - 1) / 45.0, $"{target}: {accuracies[target] * 45:F0}/45 < pinned {pinned}/45 ({measured})");
        }

        Assert.True(accuracies.Values.Average() >= (PinnedLoso.Values.Sum() - 1) / 180.0, $"mean {accuracies.Values.Average():F3} ({measured})");
        Assert.True(calibrated >= (PinnedCalibration - 1) / 45.0, $"S001 → S002: {calibrated * 45:F0}/45 < pinned {PinnedCalibration}/45 ({measured})");
    }

    private const string PinnedDefault = "ea_dann_x5";

    /// <summary>
    /// Correct target epochs of 45, seed 0, measured when the default was set: on 2026-12-07, when it
    /// became the standardisation per subject on every window of the subject's recordings (chosen by the
    /// nested selections on S001–S010, bench/results/calibration-selection-subject-z*.json). Before, with the
    /// sources' pooled statistics only: S001 33, S002 32, S003 24, S004 26 (115 of 180; now 113) and
    /// S001 → S002 30 (30 now; over seeds 0–4 147 before, 151 now, of 225) — within this small check's
    /// noise, which the ten subjects' runs decide (docs/evaluation.md).
    /// </summary>
    private static readonly Dictionary<string, int> PinnedLoso = new() { ["S001"] = 29, ["S002"] = 30, ["S003"] = 25, ["S004"] = 29 };

    private const int PinnedCalibration = 30;
}
