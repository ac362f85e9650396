using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary><c>standardize</c> with <c>per</c> <c>subject</c>: each subject's features z-scored with its own statistics, fitted without labels, and live estimated from the stream when the model has none.</summary>
public sealed class SubjectStandardizationTests
{
    /// <summary>mi-logvar (8–30 Hz, log-variance) with Euclidean alignment and a standardisation per subject (warm-up 8, update every 4).</summary>
    internal static PipelineDefinition PerSubject()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!;
        var steps = json["steps"]!.AsArray();
        steps.Insert(steps.Count - 1, new JsonObject { ["type"] = "euclidean_alignment", ["parameters"] = new JsonObject { ["warmup_windows"] = 8 } });
        steps.Add(new JsonObject { ["type"] = "standardize", ["parameters"] = new JsonObject { ["per"] = "subject", ["warmup_windows"] = 8, ["update_every_windows"] = 4 } });
        return PipelineDefinitionLoader.Parse(json.ToJsonString(), "mi-logvar, per-subject standardisation");
    }

    private static EpochSet Epochs(SignalPipeline signal, string subject) =>
        EpochSet.Concat(new[] { "R04", "R08" }.Select(r => signal.ExtractEpochs(RealRecordings.Read(subject, r)).Epochs).ToArray());

    private static EpochSet WithoutLabels(EpochSet set) =>
        new(set.Subject, set.Info, set.Epochs.Select(e => new Epoch(e.Info with { Label = null }, e.ChannelCount, e.SampleCount, e.Data)).ToArray());

    private static FittedPipeline Unstandardized(FittedPipeline fitted) =>
        fitted with { States = fitted.States.Where(s => s is not FittedSubjectStandardization).ToArray() };

    [Fact]
    public void EachSubjectIsStandardisedWithTheStatisticsOfItsOwnRowsFittedWithoutLabels()
    {
        var definition = PerSubject();
        var signal = SignalPipeline.Create(definition);
        var source = Epochs(signal, "S001");
        var target = Epochs(signal, "S002");
        var fitted = FeaturePipeline.Fit(signal, [source], [target]);

        Assert.Equal(["S001", "S002"], fitted.SubjectStandardization!.Subjects.Keys.Order());
        Assert.Null(fitted.Standardization);
        foreach (var set in new[] { source, target })
        {
            var raw = FeaturePipeline.Transform(definition, Unstandardized(fitted), set);
            var expected = StandardizationFit.Fit(raw.Values, raw.FeatureCount);
            Assert.Equal(expected.Mean, fitted.SubjectStandardization.For(set.Subject)!.Mean);
            Assert.Equal(expected.Scale, fitted.SubjectStandardization.For(set.Subject)!.Scale);
            var table = FeaturePipeline.Transform(definition, fitted, set);
            for (int f = 0; f < table.FeatureCount; f++)
            {
                var column = Enumerable.Range(0, table.RowCount).Select(r => table.Row(r)[f]).ToArray();
                double mean = column.Average();
                Assert.Equal(0, mean, 9);
                Assert.Equal(1, Math.Sqrt(column.Average(v => (v - mean) * (v - mean))), 9);
            }
        }

        // The target's statistics do not read its labels: without them they are the same.
        var unlabeled = FeaturePipeline.Fit(signal, [source], [WithoutLabels(target)]);
        Assert.Equal(fitted.SubjectStandardization.For("S002")!.Scale, unlabeled.SubjectStandardization!.For("S002")!.Scale);

        // A subject the model has no statistics for is named, with what to do.
        var e = Assert.Throws<InvalidOperationException>(() => FeaturePipeline.Transform(definition, fitted.OnlyFor("S001"), target));
        Assert.Contains("'S002'", e.Message, StringComparison.Ordinal);
        Assert.Contains("from the stream", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnTheWindowsReferenceASubjectsStatisticsAreThoseOfTheWindowsTheLivePathCuts()
    {
        var definition = PerSubject();
        var signal = SignalPipeline.Create(definition);
        var fitted = Unstandardized(FeaturePipeline.Fit(signal, [Epochs(signal, "S001")], [Epochs(signal, "S002")]));
        var onWindows = definition with { Steps = definition.Steps.Select(s => s is StandardizeSpec z ? z with { Reference = AlignmentReference.Windows } : s).ToArray() };
        Recording[] recordings = [RealRecordings.Read("S002", "R04"), RealRecordings.Read("S002", "R08")];

        var statistics = StandardizeSpec.FitOnWindows(onWindows, fitted, "S002", recordings);

        var windows = FeatureTable.Concat(recordings.Select(r => OnlineFrontEnd.Replay(onWindows, fitted, r)).ToArray());
        Assert.True(windows.RowCount > 3000, $"{windows.RowCount} windows");
        var expected = StandardizationFit.Fit(windows.Values, windows.FeatureCount);
        for (int f = 0; f < expected.Mean.Length; f++)
        {
            Assert.Equal(expected.Mean[f], statistics.Mean[f], Math.Abs(expected.Mean[f]) * 1e-9);
            Assert.Equal(expected.Scale[f], statistics.Scale[f], expected.Scale[f] * 1e-9);
        }

        // They differ from the cue epochs' (rest is in the windows, not in the epochs).
        var epochs = FeaturePipeline.Transform(definition, fitted, Epochs(signal, "S002"));
        Assert.NotEqual(StandardizationFit.Fit(epochs.Values, epochs.FeatureCount).Mean[0], statistics.Mean[0], 3);

        // A fit on epochs alone has no recordings to take them from: it refuses, saying why; given them, it takes them there.
        var e = Assert.Throws<ArgumentException>(() => FeaturePipeline.Fit(SignalPipeline.Create(onWindows), [Epochs(signal, "S001")]));
        Assert.Contains("on its windows", e.Message, StringComparison.Ordinal);
        var given = new Dictionary<string, IReadOnlyList<Recording>> { ["S001"] = [RealRecordings.Read("S001", "R04")], ["S002"] = recordings };
        var withRecordings = FeaturePipeline.Fit(SignalPipeline.Create(onWindows), [Epochs(signal, "S001")], [Epochs(signal, "S002")], recordings: given);
        Assert.Equal(statistics.Mean, withRecordings.SubjectStandardization!.For("S002")!.Mean);
        Assert.Equal(statistics.Scale, withRecordings.SubjectStandardization.For("S002")!.Scale);
    }

    [Fact]
    public void TheLiveFrontEndUsesTheSubjectsStatisticsAsTheBatchPathDoes()
    {
        var definition = PerSubject();
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [Epochs(signal, "S001")], [Epochs(signal, "S002")]);
        var recording = RealRecordings.Read("S002", "R04");

        var live = OnlineFrontEnd.Replay(definition, fitted, recording);
        var batch = FeaturePipeline.Transform(definition, fitted, signal.ExtractWindows(recording));
        Assert.Equal(batch.RowCount, live.RowCount);
        for (int i = 0; i < live.Values.Length; i++)
        {
            Assert.Equal(batch.Values[i], live.Values[i], 1e-9);
        }
    }

    [Fact]
    public void ASubjectWithoutStatisticsGetsThemFromItsStreamAndNoWindowIsReadyDuringTheWarmUp()
    {
        var definition = PerSubject();
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [Epochs(signal, "S001")], [Epochs(signal, "S002")]);
        // The model keeps S002's alignment but no statistics for it: they come from the stream.
        var model = fitted with { States = fitted.States.Select(s => s is FittedSubjectStandardization p ? p.Only("S001") : s).ToArray() };
        var recording = RealRecordings.Read("S002", "R04");

        var consumer = new Collector();
        var frontEnd = new OnlineFrontEnd(definition, model, recording.Info, "S002", OnlineAlignment.Fixed, consumer);
        for (long start = 0; start < recording.SampleCount; start += 1000)
        {
            frontEnd.Push(SampleChunk.FromChannelMajor(recording.Samples, start, (int)Math.Min(1000, recording.SampleCount - start)));
        }

        Assert.NotNull(frontEnd.Standardization);
        Assert.Equal(Enumerable.Range(0, consumer.Rows.Count).Select(i => i >= 7), consumer.Ready);
        Assert.All(consumer.AlignmentReady, Assert.True);

        // The windows' features made without standardisation, then the estimate in window order.
        var raw = FeaturePipeline.Transform(definition, Unstandardized(model), signal.ExtractWindows(recording));
        var estimate = new OnlineStandardization(raw.FeatureCount, 8, 4);
        Assert.Equal(raw.RowCount, consumer.Rows.Count);
        for (int i = 0; i < raw.RowCount; i++)
        {
            var row = raw.Row(i).ToArray();
            estimate.Observe(row);
            estimate.Apply(row);
            for (int f = 0; f < row.Length; f++)
            {
                Assert.Equal(row[f], consumer.Rows[i][f], 1e-8);
            }
        }

        // After the whole recording, the estimate is the statistics of its windows (at its last update).
        var all = StandardizationFit.Fit(raw.Values, raw.FeatureCount);
        long used = 8 + ((raw.RowCount - 8) / 4 * 4);
        Assert.True(raw.RowCount - used < 4);
        Assert.Equal(all.Mean[0], frontEnd.Standardization!.Current.Mean[0], 2e-2 * all.Scale[0]);
    }

    [Fact]
    public void AnAlignedNetworkOfTheDefaultSaysItStandardisesPerSubjectAndTheMethodsThatDoNotUseTheStepDoNot()
    {
        var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
        string Describe(string method) => Calibration.CalibrationMethod.Parse(method).DescriptionWith(definition);
        Assert.StartsWith("Euclidean alignment and feature standardisation per subject, then DANN", Describe("ea_dann_x5"), StringComparison.Ordinal);
        Assert.StartsWith("Euclidean alignment per subject, then CSP", Describe("ea_csp_lda"), StringComparison.Ordinal);
        Assert.StartsWith("DANN", Describe("dann"), StringComparison.Ordinal);
        Assert.Equal(Calibration.CalibrationMethod.Parse("ea_dann_x5").Description, Calibration.CalibrationMethod.Parse("ea_dann_x5").DescriptionWith(definition.WithoutAlignment()));
        Assert.Null(definition.WithoutAlignment().Standardization);
    }

    private sealed class Collector : IOnlineWindowConsumer
    {
        public List<double[]> Rows { get; } = [];

        public List<bool> Ready { get; } = [];

        public List<bool> AlignmentReady { get; } = [];

        public void OnWindow(in OnlineWindow window)
        {
            Rows.Add(window.Features.ToArray());
            Ready.Add(window.StandardizationReady);
            AlignmentReady.Add(window.AlignmentReady);
        }
    }
}
