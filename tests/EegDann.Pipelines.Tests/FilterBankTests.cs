using EegDann.Core;
using EegDann.Dsp.Filters;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

public sealed class FilterBankTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>mi-fb-dann's filter bank, alignment and log-variance; its standardisation per subject (taken on windows of the recordings, which a fit on epochs does not have) is left out: <see cref="SubjectStandardizationTests"/> covers it.</summary>
    private static PipelineDefinition FilterBank
    {
        get
        {
            var definition = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
            return definition with { Steps = definition.Steps.Where(s => s is not Steps.StandardizeSpec).ToArray() };
        }
    }

    [Fact]
    public void EveryBandOfTheBankIsTheSameBandPassRunAlone()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var definition = FilterBank;
        var signal = SignalPipeline.Create(definition);
        var epochs = signal.ExtractEpochs(recording).Epochs;
        Assert.Equal(15, epochs.Count);
        Assert.Equal(64 * 5, epochs.Info.ChannelCount);
        Assert.Equal("fb8_12_Fc5", epochs.Info.Channels[0]);
        Assert.Equal("fb24_30_Iz", epochs.Info.Channels[^1]);

        // Band 3 (16-20 Hz) equals a pipeline whose only filter is that band-pass.
        var json = System.Text.Json.Nodes.JsonNode.Parse(definition.Json)!;
        json["steps"]![0] = System.Text.Json.Nodes.JsonNode.Parse("{ \"type\": \"bandpass\", \"parameters\": { \"low_hz\": 16, \"high_hz\": 20, \"order\": 4 } }");
        var bandPass = PipelineDefinitionLoader.Parse(json.ToJsonString(), "band 16-20");
        var reference = SignalPipeline.Create(bandPass).ExtractEpochs(recording).Epochs;
        int size = 64 * signal.EpochSamples;
        for (int i = 0; i < epochs.Count; i++)
        {
            Assert.Equal(reference.Epochs[i].Data, epochs.Epochs[i].Data.AsSpan(2 * size, size).ToArray());
        }
    }

    [Fact]
    public void EveryBandIsAlignedWithItsOwnReferenceSoEachBandsMeanSecondMomentIsTheIdentity()
    {
        var signal = SignalPipeline.Create(FilterBank);
        var epochs = EpochSet.Concat([signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs, signal.ExtractEpochs(RealRecordings.Read("S001", "R08")).Epochs]);
        var fit = FeaturePipeline.FitAlignment(signal, epochs);
        Assert.Equal(5, fit.Bands);
        var sums = new double[5][];
        foreach (var epoch in epochs.Epochs)
        {
            var aligned = Dsp.Alignment.EuclideanAlignment.Apply(fit, epoch.Data);
            int samples = signal.EpochSamples;
            for (int b = 0; b < 5; b++)
            {
                var m = Dsp.LinearAlgebra.SpatialCovariance.SecondMoment(aligned.AsSpan(b * 64 * samples, 64 * samples), 64, samples);
                sums[b] = sums[b] is null ? m : sums[b].Zip(m, (x, y) => x + y).ToArray();
            }
        }

        for (int b = 0; b < 5; b++)
        {
            for (int i = 0; i < 64; i++)
            {
                for (int j = 0; j < 64; j++)
                {
                    Assert.Equal(i == j ? 1.0 : 0.0, sums[b][(i * 64) + j] / epochs.Count, 9);
                }
            }
        }
    }

    [Fact]
    public void FilterBankFeaturesOfTheLivePathInRandomChunksEqualTheBatchFeatures()
    {
        var recording = RealRecordings.Read("S001", "R12");
        var definition = FilterBank with { Windows = new WindowSettings(2.0, 1.0) };
        var signal = SignalPipeline.Create(definition);
        var epochs = signal.ExtractEpochs(recording).Epochs;
        var fitted = FeaturePipeline.Fit(signal, [epochs]);
        Assert.Equal(320, fitted.FeatureNames.Count);
        Assert.Equal("fb8_12_logvar_Fc5", fitted.FeatureNames[0]);
        var batch = FeaturePipeline.Transform(definition, fitted, signal.ExtractWindows(recording));
        var online = OnlineFrontEnd.Replay(definition, fitted, recording);
        Assert.Equal(batch.Rows.Select(r => r.StartSample), online.Rows.Select(r => r.StartSample));

        // The live path keeps running sums of the aligned samples (each aligned once), the batch path
        // computes each window's covariance and W·Σ·Wᵀ: equal to rounding, not bit for bit. The
        // features are z-scored (they cross 0), so the difference is scaled by max(|x|, 1).
        double worst = OfflineOnlineTests.MaxScaledDifference(OfflineOnlineTests.Rows(batch), OfflineOnlineTests.Rows(online));
        output.WriteLine($"{batch.RowCount} windows × {batch.FeatureCount} features: max scaled difference live vs batch {worst:E3}");
        Assert.True(worst <= 1e-9, $"max scaled feature difference {worst:E3}");

        // The fitted state, filter-bank designs included, survives its JSON round trip.
        var again = FittedPipeline.FromJson(fitted.ToJson(), "test");
        Assert.Equal(5, Assert.IsType<FittedFilterBank>(Assert.Single(again.SignalSteps)).Designs.Count);
        Assert.Equal(batch.Values, FeaturePipeline.Transform(definition, again, signal.ExtractWindows(recording)).Values);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    public void WindowsHandedOverInBlocksAreTheWindowsOfTheWholeRecordingInOrder(int blockWindows)
    {
        // The replay's batch comparison cuts windows block by block (a 5-band window is 0.8 MB: all windows of an hour-long
        // recording would be about 47 GB); the blocks must hold every window once, in order, the same values.
        var recording = RealRecordings.Read("S001", "R04");
        var signal = SignalPipeline.Create(FilterBank);
        var whole = signal.ExtractWindows(recording);
        var blocks = new List<EpochSet>();
        var arrays = new List<double[][]>();
        signal.ExtractWindows(recording, blockWindows, b =>
        {
            // The arrays are reused for the next block: keep copies, and which arrays each block came in.
            arrays.Add(b.Epochs.Select(e => e.Data).ToArray());
            blocks.Add(new EpochSet(b.Subject, b.Info, b.Epochs.Select(e => new Epoch(e.Info, e.ChannelCount, e.SampleCount, (double[])e.Data.Clone())).ToArray()));
        });
        Assert.True(whole.Count > 64, $"{whole.Count} windows");
        if (blocks.Count > 1)
        {
            // After the first block no window allocates: the second block's windows are the first block's arrays.
            Assert.All(arrays[1], a => Assert.Contains(arrays[0], b => ReferenceEquals(a, b)));
        }

        Assert.Equal((whole.Count + (long)blockWindows - 1) / blockWindows, blocks.Count);
        Assert.All(blocks.SkipLast(1), b => Assert.Equal(blockWindows, b.Count));
        var windows = blocks.SelectMany(b => b.Epochs).ToArray();
        Assert.Equal(whole.Epochs.Select(e => e.Info), windows.Select(e => e.Info));
        for (int i = 0; i < windows.Length; i++)
        {
            Assert.Equal(whole.Epochs[i].Data, windows[i].Data);
        }

        Assert.All(blocks, b => Assert.Equal(whole.Info, b.Info));
        Assert.All(blocks, b => Assert.Equal(whole.Subject, b.Subject));
    }

    [Fact]
    public void ARecordingShorterThanAWindowGivesNoBlock()
    {
        var recording = RealRecordings.Read("S001", "R04");
        var signal = SignalPipeline.Create(FilterBank);
        var shortRecording = new Recording(recording.Info, recording.Samples.Select(c => c[..(signal.WindowSamples - 1)]).ToArray(), [], recording.Metadata);
        var blocks = new List<EpochSet>();
        signal.ExtractWindows(shortRecording, 16, blocks.Add);
        Assert.Empty(blocks);
        Assert.Equal(0, signal.ExtractWindows(shortRecording).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => signal.ExtractWindows(recording, 0, blocks.Add));
    }

    [Fact]
    public void APipelineHoldsOneFilterBankWithAtLeastTwoDistinctBands()
    {
        string json = FilterBank.Json;
        string after = json.Replace("\"steps\": [", "\"steps\": [ { \"type\": \"filter_bank\", \"parameters\": { \"bands\": [[8, 12]] } },", StringComparison.Ordinal);
        var e = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(after, "x.json"));
        Assert.Contains("step 1 'filter_bank': needs at least two bands", e.Message);
        Assert.Contains("step 2 'filter_bank': only one filter_bank step is allowed", e.Message);
    }

    [Fact]
    public void ASignalStepAfterTheFilterBankIsOutOfOrderLikeAnyOtherStep()
    {
        string json = FilterBank.Json;
        string after = json.Replace("{\n      \"type\": \"euclidean_alignment\"", "{ \"type\": \"notch\", \"parameters\": { \"frequency_hz\": 60 } },\n    {\n      \"type\": \"euclidean_alignment\"", StringComparison.Ordinal);
        Assert.NotEqual(json, after);
        var e = Assert.Throws<PipelineDefinitionException>(() => PipelineDefinitionLoader.Parse(after, "x.json"));
        Assert.Contains("step 2 'notch': a signal step cannot come after step 1 'filter_bank' (order: signal steps, filter_bank, euclidean_alignment, feature steps, standardize)", e.Message);
        Assert.Single(e.Problems);
    }

    [Fact]
    public void TheFilterBankIsAStepKindOfItsOwnThatAlignmentIsInsertedAfter()
    {
        Assert.Contains("filter_bank", StageRegistry.Types);
        var shipped = PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json"));
        var bank = Assert.IsType<FilterBankSpec>(shipped.Steps[0]);
        Assert.Equal(StepKind.FilterBank, bank.Kind);
        Assert.True(bank.AtMostOne);

        // Re-inserting the alignment puts it after the bank, in the steps and in the JSON a model file carries
        // (without the alignment, the standardisation per subject goes too).
        var again = shipped.WithoutAlignment().WithAlignment(new EuclideanAlignmentSpec(new Dsp.Alignment.EuclideanAlignmentOptions(), AlignmentReference.Epochs));
        Assert.Equal(["filter_bank", "euclidean_alignment", "log_variance"], again.Steps.Select(s => s.Type));
        Assert.Equal(again.Steps.Select(s => s.Type), PipelineDefinitionLoader.Parse(again.Json, "again").Steps.Select(s => s.Type));
    }
}
