using EegDann.Core;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Tests;

public sealed class FittedPipelineTests
{
    private static readonly string[] Motor = ["Fc3", "Fcz", "Fc4", "C5", "C3", "C1", "Cz", "C2", "C4", "C6", "Cp3", "Cpz", "Cp4"];

    [Fact]
    public void AFittedPipelineSurvivesJsonExactlyAndTransformsIdentically()
    {
        var definition = RichDefinition();
        var signal = SignalPipeline.Create(definition);
        var source = new[] { "S001", "S002" }.Select(s => EpochSet.Concat(new[] { "R04", "R08" }.Select(r => signal.ExtractEpochs(RealRecordings.Read(s, r)).Epochs).ToArray())).ToArray();
        var target = signal.ExtractEpochs(RealRecordings.Read("S003", "R04")).Epochs;
        var fitted = FeaturePipeline.Fit(signal, source, [target]);

        Assert.Equal(["S001", "S002", "S003"], fitted.Alignment!.Subjects.Keys.Order());
        Assert.Equal(["band-pass", "notch"], fitted.SignalSteps.Cast<FittedFilter>().Select(f => f.Design!.Description.Split(' ')[1]));
        var json = fitted.ToJson();
        var restored = FittedPipeline.FromJson(json, "model.json");
        Assert.Equal(json, restored.ToJson());

        var before = FeaturePipeline.Transform(definition, fitted, target);
        var after = FeaturePipeline.Transform(definition, restored, target);
        Assert.Equal(before.Values, after.Values);
        Assert.Equal(before.FeatureNames, after.FeatureNames);
        Assert.Equal(Motor.Length + 6 + (Motor.Length * (Motor.Length + 1) / 2), before.FeatureCount);
        Assert.Contains("csp_1", before.FeatureNames);
        Assert.Contains("ts_C3_C4", before.FeatureNames);
    }

    [Fact]
    public void SourceFeaturesAreStandardisedOnTheSourceOnly()
    {
        var definition = RichDefinition();
        var signal = SignalPipeline.Create(definition);
        var source = signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs;
        var fitted = FeaturePipeline.Fit(signal, [source]);
        var table = FeaturePipeline.Transform(definition, fitted, source);
        for (int f = 0; f < table.FeatureCount; f++)
        {
            double mean = Enumerable.Range(0, table.RowCount).Average(r => table.Row(r)[f]);
            Assert.Equal(0, mean, 9);
        }
    }

    [Fact]
    public void TransformingASubjectWithoutAFittedAlignmentSaysWhatToDo()
    {
        var definition = RichDefinition();
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs]);
        var other = signal.ExtractEpochs(RealRecordings.Read("S002", "R04")).Epochs;
        var e = Assert.Throws<InvalidOperationException>(() => FeaturePipeline.Transform(definition, fitted, other));
        Assert.Contains("'S002'", e.Message);

        var withTarget = fitted.WithSubjectAlignment(FeaturePipeline.FitAlignment(signal, other));
        Assert.Equal(15, FeaturePipeline.Transform(definition, withTarget, other).RowCount);
    }

    [Fact]
    public void ARecordingWithoutAPipelineChannelFailsNamingIt()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var channels = recording.Info.Channels.Where(c => c != "C3").ToArray();
        var samples = recording.Samples.Where((_, i) => recording.Info.Channels[i] != "C3").ToArray();
        var without = new Recording(new SignalInfo(160, channels), samples, recording.Events, recording.Metadata);
        var e = Assert.Throws<ChannelMismatchException>(() => SignalPipeline.Create(RealRecordings.MiLogVar).ExtractEpochs(without));
        Assert.Equal(["C3"], e.Missing);
        Assert.Contains("missing channel C3", e.Message);
    }

    [Fact]
    public void ARecordingAtAnotherRateIsResampledAndItsEpochsStartAtTheSameInstants()
    {
        var definition = RealRecordings.MiLogVar with { Signal = new Definitions.SignalRequirements(100, RealRecordings.MiLogVar.Signal.Channels), Paradigm = RealRecordings.MiLogVar.Paradigm, Windows = new Definitions.WindowSettings(2.0, 0.1) };
        var recording = RealRecordings.Read("S001", "R04");
        var epochs = SignalPipeline.Create(definition).ExtractEpochs(recording);
        Assert.Equal(15, epochs.Epochs.Count);
        Assert.Equal(200, epochs.Epochs.SampleCount);
        var cues = recording.Events.Where(e => e.Label is "T1" or "T2").ToArray();
        Assert.Equal(cues.Select(c => (long)Math.Round(c.OnsetSeconds * 100, MidpointRounding.ToEven) + 50), epochs.Epochs.Epochs.Select(e => e.Info.StartSample));
    }

    private static Definitions.PipelineDefinition RichDefinition()
    {
        var d = RealRecordings.MiLogVar;
        return d with
        {
            Name = "rich",
            Signal = d.Signal with { Channels = Motor },
            Steps =
            [
                new BandPassSpec(8, 30, 4),
                new NotchSpec(50, 4, 2),
                new EuclideanAlignmentSpec(new Dsp.Alignment.EuclideanAlignmentOptions(), AlignmentReference.Epochs),
                new LogVarianceSpec(),
                new CspSpec(6, 0),
                new TangentSpaceSpec(Dsp.Features.TangentSpaceMetric.Riemann, 0),
                new StandardizeSpec(),
            ],
        };
    }
}
