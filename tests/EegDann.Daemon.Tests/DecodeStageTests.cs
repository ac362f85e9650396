using EegDann.Core;
using System.Buffers;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

public sealed class DecodeStageTests
{
    [Fact]
    public void ANetworkOutputThatIsNotFiniteGivesNoneWithReasonNonFiniteAndTheNextWindowIsDecided()
    {
        // Features of 1e300 become +∞ as the network's float input: its output is NaN.
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
        var model = models.Current;
        var stage = new DecodeStage(new DecoderOptions { ConfidenceThreshold = 0.5, DwellSeconds = 0 }, models, metrics, [], NullLogger<DecodeStage>.Instance);

        var bad = stage.Decode(Window(model, 320, 1e300));
        Assert.Equal(Decision.NoCommand, bad.Command);
        Assert.Equal(FailSafeReason.NonFinite, bad.Reason);
        Assert.Empty(bad.Probabilities);

        var good = stage.Decode(Window(model, 330, 0.5));
        Assert.Equal(FailSafeReason.None, good.Reason);
        Assert.Equal(2, good.Probabilities.Length);
        Assert.All(good.Probabilities, p => Assert.True(float.IsFinite(p)));
        Assert.NotEqual(Decision.NoCommand, good.Command);
    }

    [Fact]
    public void InSteadyStateTheDecoderAllocatesNothingPerWindow()
    {
        // Real windows of S002R04 from the window stage, decoded 300 at a time after 300 to warm up. A decoder
        // that allocates per window (libtorch's forward pass: about 2.4 kB; a decision with an array of its
        // own) does so in every pass.
        var recording = TestModels.Read("S002", "R04");
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
        var windowStage = new WindowStage(models, new FailSafeOptions(), new DecoderOptions(), new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
        windowStage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")));
        var items = new List<WindowItem>();
        for (int k = 0; items.Count < 1200; k++)
        {
            windowStage.Handle(new ChunkArrived(SampleChunk.FromChannelMajor(recording.Samples, k * 10L, 10), 0), items);
        }

        Assert.All(items, i => Assert.Equal(WindowItemKind.Window, i.Kind));
        var stage = new DecodeStage(new DecoderOptions { ConfidenceThreshold = 0.5, DwellSeconds = 0 }, models, metrics, [], NullLogger<DecodeStage>.Instance);
        var decisions = new Decision[items.Count];
        var allocatedPerPass = Allocations.PerPass(pass =>
        {
            for (int i = pass * 300; i < (pass + 1) * 300; i++)
            {
                decisions[i] = stage.Decode(items[i]);
            }
        });

        var decided = decisions.Where(d => d.Command != null).ToList();
        Assert.All(decided, d => Assert.Equal(FailSafeReason.None, d.Reason));
        Assert.Contains(decided, d => d.Command != Decision.NoCommand);
        Assert.True(allocatedPerPass[^1] == 0, $"bytes allocated per pass of 300 windows: {string.Join(", ", allocatedPerPass)}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(12)]
    public void ADecisionsProbabilitiesKeepTheirValuesInlineOrInAnArrayOfTheirOwnAndCompareByValue(int classes)
    {
        var values = Enumerable.Range(0, classes).Select(k => (k + 1) / 100f).ToArray();
        var doubles = values.Select(v => (double)v).ToArray();

        var probabilities = ClassProbabilities.From(values);
        values[0] = 99f;

        Assert.Equal(classes, probabilities.Length);
        Assert.Equal(0.01f, probabilities[0]);
        Assert.Equal(Enumerable.Range(0, classes).Select(k => (k + 1) / 100f), probabilities.ToArray());
        Assert.Equal(probabilities, ClassProbabilities.From(doubles));
        Assert.NotEqual(probabilities, ClassProbabilities.From(values));
        Assert.Throws<ArgumentOutOfRangeException>(() => probabilities[classes]);
        Assert.Empty(ClassProbabilities.Empty);
        ClassProbabilities literal = [0.25f, 0.75f];
        Assert.Equal([0.25f, 0.75f], literal.ToArray());
    }

    [Fact]
    public void AFailSafeItemGivesNoneAndRestartsTheSmoothingSoTheNextCommandWaitsItsDwellAgain()
    {
        // A dwell of two strides (3 windows): a command from the third agreeing window, none for the fail-safe, and
        // after it three windows again before the command comes back.
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
        var model = models.Current;
        var stage = new DecodeStage(new DecoderOptions { ConfidenceThreshold = 0.5, SmoothingAlpha = 1, DwellSeconds = 2 * 0.0625 }, models, metrics, [], NullLogger<DecodeStage>.Instance);
        var commands = new List<string>();
        long end = 320;
        for (int i = 0; i < 4; i++, end += 10)
        {
            commands.Add(stage.Decode(Window(model, end, 0.5)).Command);
        }

        var failSafe = stage.Decode(new WindowItem(WindowItemKind.FailSafe, end, 160, 0, model, null, FailSafeReason.Gap));
        end += 10;
        Assert.Equal(FailSafeReason.Gap, failSafe.Reason);
        Assert.Equal(Decision.NoCommand, failSafe.Command);
        for (int i = 0; i < 4; i++, end += 10)
        {
            commands.Add(stage.Decode(Window(model, end, 0.5)).Command);
        }

        string command = commands[3];
        Assert.NotEqual(Decision.NoCommand, command);
        Assert.Equal(new[] { "none", "none", command, command, "none", "none", command, command }, commands);
    }

    /// <summary>A window item whose every feature is <paramref name="value"/> (its buffer rented, as the stage returns it).</summary>
    private static WindowItem Window(DecoderModel model, long end, double value)
    {
        var input = ArrayPool<double>.Shared.Rent(model.InputSize);
        Array.Fill(input, value);
        return new WindowItem(WindowItemKind.Window, end, 160, System.Diagnostics.Stopwatch.GetTimestamp(), model, input);
    }
}
