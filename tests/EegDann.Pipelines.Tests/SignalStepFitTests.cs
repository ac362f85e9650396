using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Tests;

/// <summary>The alignment and standardisation steps own their fit: with their own options, on any signal path.</summary>
public sealed class SignalStepFitTests
{
    [Fact]
    public void TheAlignmentStepFitsWithItsOwnOptionsOnAPipelineThatHasNoAlignmentStep()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar.WithoutAlignment());
        Assert.Null(signal.Definition.Alignment);
        var epochs = signal.ExtractEpochs(recording).Epochs;
        var shrunk = new EuclideanAlignmentSpec(new EuclideanAlignmentOptions { Shrinkage = 0.3 }, AlignmentReference.Epochs);

        var fit = shrunk.Fit(signal, epochs);
        var direct = EuclideanAlignment.Fit("S001", epochs.Epochs.Select(e => e.Data).ToArray(), signal.Info.ChannelCount, shrunk.Options);
        Assert.Equal("S001", fit.Subject);
        Assert.Equal(direct.Whitening, fit.Whitening);
        Assert.NotEqual(CalibrationDefaults.Fit(signal, epochs).Whitening, fit.Whitening);
    }

    [Fact]
    public void TheAlignmentStepsWindowFitEqualsItsFitOnTheSameWindows()
    {
        var recording = RealRecordings.Read("S001", "R08");
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar.WithoutAlignment() with { Windows = new WindowSettings(2.0, 0.5) });
        var spec = new EuclideanAlignmentSpec(new EuclideanAlignmentOptions { Shrinkage = 0.1 }, AlignmentReference.Windows);
        var batch = spec.Fit(signal, signal.ExtractWindows(recording));
        var streamed = spec.FitOnWindows(signal, "S001", [recording]);
        Assert.Equal(batch.EpochCount, streamed.EpochCount);
        Assert.All(batch.Whitening.Zip(streamed.Whitening), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-9 * Math.Abs(batch.Whitening[0]), $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void TheAlignmentStepRefusesEpochsOfAnotherShape()
    {
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar);
        var epochs = new EpochSet("S009", new SignalInfo(160, ["C3", "C4"]), [new Epoch(new EpochInfo("S009", "x", 0, null), 2, 320, new double[640])]);
        var e = Assert.Throws<ArgumentException>(() => CalibrationDefaults.Fit(signal, epochs));
        Assert.Contains("epochs of S009 are 2 × 320", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheStandardizeStepFitsEachFeaturesSourceMeanAndPopulationScale()
    {
        var rows = new[] { new EpochInfo("S001", "r", 0, "left"), new EpochInfo("S001", "r", 1, "right"), new EpochInfo("S001", "r", 2, "left") };
        var table = new FeatureTable(["a", "b"], rows, [1, 5, 2, 5, 3, 5]);
        var fit = new StandardizeSpec().Fit(table).Statistics;
        Assert.Equal([2.0, 5.0], fit.Mean);
        Assert.Equal(Math.Sqrt(2.0 / 3), fit.Scale[0], 12);
        Assert.Equal(1.0, fit.Scale[1]);
    }

    [Fact]
    public void TheFittedPipelinesStandardizationIsTheStepsFitOnTheSourcesFeatures()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var unstandardized = RealRecordings.MiLogVar;
        Assert.Null(unstandardized.Standardization);
        var definition = unstandardized with { Steps = [.. unstandardized.Steps, new StandardizeSpec()] };
        var standardize = Assert.IsType<StandardizeSpec>(definition.Standardization);
        var signal = SignalPipeline.Create(definition);
        var epochs = signal.ExtractEpochs(recording).Epochs;
        var fitted = FeaturePipeline.Fit(signal, [epochs]);
        var raw = FeaturePipeline.Transform(definition, fitted with { States = [.. fitted.States.Where(s => s is not FittedStandardization)] }, epochs);
        var expected = standardize.Fit(raw);
        Assert.Equal(expected.Statistics.Mean, fitted.Standardization!.Statistics.Mean);
        Assert.Equal(expected.Statistics.Scale, fitted.Standardization.Statistics.Scale);
        Assert.Null(FeaturePipeline.Fit(SignalPipeline.Create(unstandardized), [epochs]).Standardization);
    }

    private static class CalibrationDefaults
    {
        public static AlignmentFit Fit(SignalPipeline signal, EpochSet epochs) => Calibration.CalibrationData.DefaultAlignment.Fit(signal, epochs);
    }
}
