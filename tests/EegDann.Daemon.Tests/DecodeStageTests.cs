using System.Buffers;
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
