using EegDann.Core;
using System.Text.Json.Nodes;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;

namespace EegDann.Pipelines.Tests;

/// <summary>The signal path's steps fit, check and carry their own state; a fitted pipeline holds them as one typed list.</summary>
public sealed class FittedSignalStepTests
{
    private static readonly FilterBankSpec Bank = new([new FrequencyBand(8, 12), new FrequencyBand(12, 30)], 4);

    [Fact]
    public void EachSignalStepChecksItsOwnFittedState()
    {
        var bandPass = new BandPassSpec(8, 30, 4);
        Assert.Empty(bandPass.Check(bandPass.Fit(160), 160));
        Assert.Equal("needs a filter design at the pipeline's 160 Hz, the fitted state has one at 250 Hz", Assert.Single(bandPass.Check(bandPass.Fit(250), 160)).Message);
        Assert.Single(bandPass.Check(new FittedFilter(null), 160));
        Assert.Single(bandPass.Check(Bank.Fit(160), 160));

        var car = new CommonAverageReferenceSpec();
        Assert.Equal(new FittedFilter(null), car.Fit(160));
        Assert.Empty(car.Check(new FittedFilter(null), 160));
        Assert.Equal("has no filter design, the fitted state has one", Assert.Single(car.Check(bandPass.Fit(160), 160)).Message);

        Assert.Empty(Bank.Check(Bank.Fit(160), 160));
        Assert.Equal(2, Bank.Fit(160).Bands);
        Assert.Equal("has 2 bands, the fitted state 1 designs (1 at the pipeline's 160 Hz)", Assert.Single(Bank.Check(new FittedFilterBank([bandPass.Design(160)!]), 160)).Message);
        Assert.Single(Bank.Check(Bank.Fit(250), 160));
        Assert.Single(Bank.Check(new FittedFilter(null), 160));
    }

    [Fact]
    public void EachSignalStepAddsItsOwnStageAndTheBankEndsThePath()
    {
        var path = new SignalPathBuilder(3, 64);
        var notch = new NotchSpec(50, 4, 2);
        notch.AddTo(path, notch.Fit(160));
        new CommonAverageReferenceSpec().AddTo(path, new FittedFilter(null));
        Assert.Equal(2, path.Stages.Count);
        Assert.Null(path.Bank);
        Bank.AddTo(path, Bank.Fit(160));
        Assert.NotNull(path.Bank);

        Assert.Throws<InvalidOperationException>(() => notch.AddTo(path, notch.Fit(160)));
        Assert.Throws<InvalidOperationException>(() => Bank.AddTo(path, Bank.Fit(160)));
        Assert.Throws<ArgumentException>(() => notch.AddTo(new SignalPathBuilder(3, 64), Bank.Fit(160)));
        Assert.Throws<ArgumentException>(() => Bank.AddTo(new SignalPathBuilder(3, 64), notch.Fit(160)));
    }

    [Fact]
    public void BuildingThePathFromAFittedStateListsEveryStepThatDoesNotFit()
    {
        var definition = RealRecordings.MiLogVar with { Steps = [new HighPassSpec(1, 4), new CommonAverageReferenceSpec(), Bank, new LogVarianceSpec()] };
        Assert.Equal(["highpass", "common_average_reference", "filter_bank"], definition.SignalPath.Select(s => s.Type));
        var good = SignalPipeline.Create(definition);
        Assert.Equal(2, good.BandCount);
        Assert.Same(good.FittedSteps, SignalPipeline.Create(definition, good.FittedSteps).FittedSteps);

        var wrong = new FittedSignalStep[] { new FittedFilter(null), new FittedFilter(null), Bank.Fit(250) };
        var e = Assert.Throws<ArgumentException>(() => SignalPipeline.Create(definition, wrong));
        Assert.Contains("signal step 1 'highpass': needs a filter design", e.Message, StringComparison.Ordinal);
        Assert.Contains("signal step 3 'filter_bank': has 2 bands, the fitted state 2 designs (0 at the pipeline's 160 Hz)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("common_average_reference':", e.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => SignalPipeline.Create(definition, good.FittedSteps.Take(2).ToArray()));
        Assert.Contains("2 fitted signal steps for the 3 steps of the signal path (highpass, common_average_reference, filter_bank)", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFittedSignalStepsAreWrittenInTheLayoutOfFormatOneAndReadBackAsTheSameList()
    {
        var definition = RealRecordings.MiLogVar with { Steps = [new BandPassSpec(1, 40, 4), new CommonAverageReferenceSpec(), Bank, new LogVarianceSpec()] };
        var signal = SignalPipeline.Create(definition);
        var fitted = FeaturePipeline.FitPerSubject(signal, new Dictionary<string, Dsp.Alignment.AlignmentFit>());
        Assert.Equal(signal.FittedSteps, fitted.SignalSteps);
        Assert.Equal(2, fitted.BandCount);

        var json = JsonNode.Parse(fitted.ToJson())!.AsObject();
        var keys = json.Select(p => p.Key).ToList();
        Assert.Equal(keys.IndexOf("class_names") + 1, keys.IndexOf("signal_designs"));
        Assert.Equal(keys.IndexOf("signal_designs") + 1, keys.IndexOf("filter_bank_designs"));
        Assert.DoesNotContain("signal_steps", keys);
        Assert.Equal(2, json["signal_designs"]!.AsArray().Count);
        Assert.Null(json["signal_designs"]![1]);
        Assert.Equal(2, json["filter_bank_designs"]!.AsArray().Count);

        var again = FittedPipeline.FromJson(fitted.ToJson(), "test");
        Assert.Equal(fitted.SignalSteps, again.SignalSteps);

        // Without a filter bank the key is left out, as before; without the filters' designs the document is refused.
        var oneBand = FittedPipeline.FromJson(fitted.ToJson(), "test") with { States = [.. fitted.States.Where(s => s is not FittedFilterBank)] };
        Assert.DoesNotContain("filter_bank_designs", oneBand.ToJson(), StringComparison.Ordinal);
        json.Remove("signal_designs");
        Assert.Throws<InvalidDataException>(() => FittedPipeline.FromJson(json.ToJsonString(), "test"));
    }
}

/// <summary>The alignment step's fitted state is one typed value: its options and each subject's fit.</summary>
public sealed class FittedAlignmentTests
{
    [Fact]
    public void TheFittedAlignmentFindsAddsAndKeepsSubjects()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar);
        var spec = Calibration.CalibrationData.DefaultAlignment;
        var s1 = spec.Fit(signal, signal.ExtractEpochs(recording).Epochs);
        var s2 = spec.Fit(signal, signal.ExtractEpochs(RealRecordings.Read("S002", "R04")).Epochs);
        var fitted = new FittedAlignment(spec.Options, new Dictionary<string, Dsp.Alignment.AlignmentFit> { ["S001"] = s1 });

        Assert.Same(s1, fitted.For("S001"));
        Assert.Null(fitted.For("S002"));
        var both = fitted.With(s2);
        Assert.Equal(["S001", "S002"], both.Subjects.Keys.Order(StringComparer.Ordinal));
        Assert.Single(fitted.Subjects);
        Assert.Equal(["S002"], both.Only("S002").Subjects.Keys);
        Assert.Same(spec.Options, both.Only("S002").Options);
    }

    [Fact]
    public void TheAlignmentStepFitsEverySubjectOnAllItsSetsUnlessItsFitIsGiven()
    {
        var signal = SignalPipeline.Create(RealRecordings.MiLogVar);
        var r04 = signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs;
        var r08 = signal.ExtractEpochs(RealRecordings.Read("S001", "R08")).Epochs;
        var s2 = signal.ExtractEpochs(RealRecordings.Read("S002", "R04")).Epochs;
        var spec = Calibration.CalibrationData.DefaultAlignment;
        var given = spec.Fit(signal, s2);

        var fitted = spec.FitSubjects(signal, [r04, s2, r08], new Dictionary<string, Dsp.Alignment.AlignmentFit> { ["S002"] = given, ["S009"] = given });
        Assert.Equal(["S001", "S002"], fitted.Subjects.Keys.Order(StringComparer.Ordinal));
        Assert.Same(given, fitted.For("S002"));
        Assert.Equal(spec.Fit(signal, EpochSet.Concat([r04, r08])).Whitening, fitted.For("S001")!.Whitening);
        Assert.Equal(r04.Count + r08.Count, fitted.For("S001")!.EpochCount);

        var onWindows = spec with { Reference = AlignmentReference.Windows };
        var e = Assert.Throws<ArgumentException>(() => onWindows.FitSubjects(signal, [r04]));
        Assert.Contains("pass the alignment of subject 'S001'", e.Message, StringComparison.Ordinal);
        Assert.Same(given, onWindows.FitSubjects(signal, [s2], new Dictionary<string, Dsp.Alignment.AlignmentFit> { ["S002"] = given }).For("S002"));
    }

    [Fact]
    public void AFittedPipelineWritesItsAlignmentInTheLayoutOfFormatOne()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var aligned = RealRecordings.MiLogVar.WithAlignment(Calibration.CalibrationData.DefaultAlignment);
        var signal = SignalPipeline.Create(aligned);
        var fitted = FeaturePipeline.Fit(signal, [signal.ExtractEpochs(recording).Epochs]);
        Assert.Equal(["S001"], fitted.Alignment!.Subjects.Keys);

        var json = JsonNode.Parse(fitted.ToJson())!.AsObject();
        var keys = json.Select(p => p.Key).ToList();
        Assert.Equal(keys.IndexOf("signal_designs") + 1, keys.IndexOf("alignment"));
        Assert.Equal(keys.IndexOf("alignment") + 1, keys.IndexOf("subject_alignments"));
        Assert.Equal(0, json["alignment"]!["shrinkage"]!.GetValue<double>());
        Assert.Equal("S001", json["subject_alignments"]!["S001"]!["subject"]!.GetValue<string>());

        var again = FittedPipeline.FromJson(fitted.ToJson(), "test");
        Assert.Equal(fitted.Alignment.Options, again.Alignment!.Options);
        Assert.Equal(fitted.Alignment.For("S001")!.Whitening, again.Alignment.For("S001")!.Whitening);
        Assert.Equal(fitted.ToJson(), again.ToJson());

        // Without alignment: no "alignment", an empty "subject_alignments" (as before), and no subject can be added.
        var plain = FeaturePipeline.Fit(SignalPipeline.Create(RealRecordings.MiLogVar), [SignalPipeline.Create(RealRecordings.MiLogVar).ExtractEpochs(recording).Epochs]);
        var plainJson = JsonNode.Parse(plain.ToJson())!.AsObject();
        Assert.False(plainJson.ContainsKey("alignment"));
        Assert.Empty(plainJson["subject_alignments"]!.AsObject());
        Assert.Null(FittedPipeline.FromJson(plain.ToJson(), "test").Alignment);
        Assert.Throws<InvalidOperationException>(() => plain.WithSubjectAlignment(fitted.Alignment.For("S001")!));
    }
}
