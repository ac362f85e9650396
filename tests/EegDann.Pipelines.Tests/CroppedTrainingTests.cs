using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Pipelines.Tests;

/// <summary>Cropped training (<c>_crops</c>): where the crops are cut, and what stays as without them.</summary>
public sealed class CroppedTrainingTests
{
    private static readonly string[] Runs = ["R04", "R08", "R12"];

    private static async Task<Recording> Shipped(string subject, string run) =>
        await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, $"{subject}{run}.parquet"));

    private static async Task<(string Name, Recording Recording)[]> Subject(string subject) =>
        await Task.WhenAll(Runs.Select(async r => ($"{subject}{r}.parquet", await Shipped(subject, r))));

    [Fact]
    public async Task EachCueGivesTheWindowsThatStartEveryHalfSecondFromItsOnsetAndEndInsideIt()
    {
        var signal = SignalPipeline.Create(CalibrationTests.Small());
        var real = await Shipped("S001", "R04");
        // Synthetic cues on a real stream (160 Hz, 2-s windows = 320 samples, stride 80): T0 is not a class.
        RecordingEvent[] events =
        [
            new(2.0, 4.1, "T1", 320),
            new(10.0, 4.1, "T0", 1600),
            new(20.0, 4.1, "T2", 3200),
            new(30.0, 2.2, "T2", 4800),
            new(40.0, 1.0, "T1", 6400),
        ];
        var recording = new Recording(real.Info, real.Samples, events, real.Metadata);
        var tooShort = new List<string>();

        var requests = signal.CropRequests(recording, "synthetic", strideSamples: 80, tooShort);

        long[] expected = [320, 400, 480, 560, 640, 3200, 3280, 3360, 3440, 3520, 4800];
        Assert.Equal(expected, requests.Select(r => r.StartSample));
        Assert.All(requests, r => Assert.Equal(320, r.Length));
        Assert.Equal([.. Enumerable.Repeat("left", 5), .. Enumerable.Repeat("right", 6)], requests.Select(r => r.Info.Label));
        Assert.Equal("synthetic: cue T1 at 40 s lasts 1 s, shorter than one 2-s window", Assert.Single(tooShort));

        // The crop half a second after a cue is the pipeline's epoch of that cue, sample for sample.
        var crops = signal.ExtractCrops(recording, "synthetic", strideSamples: 80).Epochs;
        var epochs = signal.ExtractEpochs(recording, "synthetic").Epochs;
        Assert.Equal(expected, crops.Epochs.Select(e => e.Info.StartSample));
        var epoch = epochs.Epochs.Single(e => e.Info.StartSample == 400);
        Assert.Equal(epoch.Data, crops.Epochs.Single(c => c.Info.StartSample == 400).Data);
        Assert.Equal(epoch.Info, crops.Epochs[1].Info);
    }

    [Fact]
    public async Task ACropPastTheEndOfTheRecordingIsLeftOut()
    {
        var signal = SignalPipeline.Create(CalibrationTests.Small());
        var real = await Shipped("S001", "R04");
        double end = real.SampleCount / real.Info.SampleRateHz;
        var recording = new Recording(real.Info, real.Samples, [new RecordingEvent(end - 2.7, 4.1, "T1", 0)], real.Metadata);

        var crops = signal.ExtractCrops(recording, "S001R04", strideSamples: 80);

        long onset = (long)Math.Round((end - 2.7) * 160);
        Assert.Equal([onset, onset + 80], crops.Epochs.Epochs.Select(e => e.Info.StartSample));
        Assert.Empty(crops.Skipped);
    }

    [Fact]
    public async Task RecordingsWhoseCuesHaveNoDurationAreRefusedForCropsNamingTheFileAndTheCue()
    {
        var s1 = await Subject("S001");
        var instant = s1.Select(r => (r.Name, new Recording(r.Recording.Info, r.Recording.Samples, r.Recording.Events.Select(e => e with { DurationSeconds = 0 }).ToArray(), r.Recording.Metadata))).ToArray();
        var data = CalibrationData.Create(CalibrationTests.Small(), instant);

        var e = Assert.Throws<CalibrationInputException>(() => data.Crops(data.Subjects["S001"]));

        Assert.Contains("cropped training cuts windows inside each cue's period; S001R04: cue T", e.Message, StringComparison.Ordinal);
        Assert.Contains("lasts 0 s, shorter than one 2-s window", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CroppedTrainingScoresTheSameEpochsWithTheSameFeaturesAndTrainsForAFifthOfTheEpochs()
    {
        var recordings = (await Subject("S001")).Concat(await Subject("S002")).ToArray();
        var data = CalibrationData.Create(CalibrationTests.Small(epochs: 10, ensemble: 1), recordings);
        Assert.Equal(5 * 45, data.Crops(data.Subjects["S001"]).Count);
        var methods = new[] { "ea_dann", "ea_dann_crops" }.Select(CalibrationMethod.Parse).ToArray();

        using var fold = new CrossSubjectRunner(data).Run(new CrossSubjectFold("S002", ["S001"]), methods, [0], new TargetSplit(0), keep: [("ea_dann", 0), ("ea_dann_crops", 0)]);

        var (plain, cropped) = (fold.Runs[0], fold.Runs[1]);
        Assert.Equal("ea_dann_crops", cropped.Method.Name);
        Assert.Equal(45, cropped.Predicted!.Length);
        // Every 4.1-s cue gives 5 crops, so 10 epochs of training become 2 (about as many optimizer steps).
        Assert.Equal(10, plain.Curves.Count);
        Assert.Equal(2, cropped.Curves.Count);
        var keptPlain = fold.Kept.Single(k => k.Method.Name == "ea_dann");
        var keptCropped = fold.Kept.Single(k => k.Method.Name == "ea_dann_crops");
        Assert.Equal(2, keptCropped.Members.Single().Epochs.Count);

        // The scored rows are the target's epochs through the same fitted pipeline: its features decoded by the cropped network give its predictions.
        var target = data.Subjects["S002"].Epochs;
        var rows = FeaturePipeline.Transform(keptCropped.Definition, keptCropped.Fitted, target);
        Assert.Equal(FeaturePipeline.Transform(keptPlain.Definition, keptPlain.Fitted, target).Values, rows.Values);
        var matrix = new SampleMatrix(rows.Values.Select(v => (float)v).ToArray(), rows.RowCount, rows.FeatureCount);
        Assert.Equal(cropped.Predicted, keptCropped.Model.Predict(matrix));
        Assert.Equal(target.Epochs.Select(e => e.Info), fold.Scored[0]);
    }

    [Fact]
    public async Task CalibratingANewSubjectWithACroppedMethodWritesItsModelTrainedOnCrops()
    {
        RecordingInput[] Inputs((string Name, Recording Recording)[] subject) => subject.Select(s => RecordingInput.FromRecording(s.Recording, s.Name)).ToArray();
        var request = new CalibrateRequest { Pipeline = CalibrationTests.Small(ensemble: 1), Sources = Inputs(await Subject("S001")), Targets = Inputs(await Subject("S002")), Method = "ea_dann_crops", Baselines = false };

        using var outcome = await CalibrateNewSubject.RunAsync(request, NullLogger.Instance);

        Assert.Equal("ea_dann_crops", outcome.Method.Name);
        // 6 epochs of training on 5 crops per cue: round(6 / 5) = 1.
        Assert.Single(outcome.Kept.Members.Single().Epochs);
        Assert.Equal("ea_dann_crops", outcome.Report.Json["method"]!.GetValue<string>());
    }

    [Fact]
    public void CropsIsASuffixOfTheNetworkMethodsThatTheTwinAndTheLabeledVariantKeep()
    {
        var method = CalibrationMethod.Parse("EA_DANN_CROPS_X5");
        Assert.Equal(("ea_dann_crops_x5", true, TrainingMethod.Dann, 5), (method.Name, method.Cropped, method.Training, method.Ensemble));
        Assert.Equal("ea_source_only_crops_x5", method.NoAdaptationTwin!.Name);
        Assert.True(method.NoAdaptationTwin.Cropped);
        Assert.Equal("ea_dann_semi_crops_x5", method.WithTargetLabels(5).Name);
        Assert.Equal("ea_dann_crops_st_refit_ba_x5", CalibrationMethod.Parse("ea_dann_crops_st_refit_ba_x5").Name);
        Assert.False(CalibrationMethod.Parse("ea_dann_x5").Cropped);
        Assert.Contains("trained on crops", method.Description, StringComparison.Ordinal);
        Assert.Contains("[_crops]", CalibrationMethod.Grammar, StringComparison.Ordinal);
        var classic = Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ea_csp_lda_crops"));
        Assert.Contains("cropped training (_crops) is for the networks", classic.Message, StringComparison.Ordinal);
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("ea_ts_lr_crops"));
        Assert.Throws<MethodNameException>(() => CalibrationMethod.Parse("_crops"));
    }
}
