using EegDann.Core;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Segmentation;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// The parts the filter/window stage coordinates, one rule at a time: continuity, channel quality,
/// window positions on the shared grid, the rate mapping and the fail-safe episode (the model
/// swapper is in <see cref="ModelSwapperTests"/>).
/// </summary>
public sealed class ControlPathPartsTests
{
    [Fact]
    public void TheFirstChunkContinuesNothingAndEachChunkThatStartsWhereTheLastEndedContinues()
    {
        var guard = new ContinuityGuard();
        Assert.Equal(0, guard.Position);
        Assert.Equal(Continuity.First, guard.Advance(500, 510, out _));
        Assert.Equal(Continuity.Continues, guard.Advance(510, 520, out long expected));
        Assert.Equal(510, expected);
        Assert.Equal(520, guard.Position);
    }

    [Fact]
    public void AGapOfAnyLengthIsOneDiscontinuityAndTheChunkAfterItContinuesTheStream()
    {
        var guard = new ContinuityGuard();
        guard.Advance(0, 16, out _);
        Assert.Equal(Continuity.Gap, guard.Advance(100_000_000_000, 100_000_000_016, out long expected));
        Assert.Equal(16, expected);
        Assert.Equal("99999999984 samples missing before sample 100000000000", ContinuityGuard.Describe(Continuity.Gap, 100_000_000_000, expected));
        Assert.Equal(Continuity.Continues, guard.Advance(100_000_000_016, 100_000_000_032, out _));
    }

    [Fact]
    public void AChunkThatRepeatsSamplesGoesBackAndTheStreamFollowsItFromThere()
    {
        var guard = new ContinuityGuard();
        guard.Advance(0, 3000, out _);
        Assert.Equal(Continuity.WentBack, guard.Advance(2950, 2960, out long expected));
        Assert.Equal("sample 2950 repeats or goes back (expected 3000)", ContinuityGuard.Describe(Continuity.WentBack, 2950, expected));
        Assert.Equal(Continuity.Continues, guard.Advance(2960, 2970, out _));
    }

    [Fact]
    public void ASpentChunkIsNoGapAndANewStreamContinuesNothing()
    {
        var guard = new ContinuityGuard();
        guard.Advance(0, 10, out _);
        guard.Spent(20);
        Assert.Equal(Continuity.Continues, guard.Advance(20, 30, out _));
        guard.Forget();
        Assert.Equal(0, guard.Position);
        Assert.Equal(Continuity.First, guard.Advance(7, 8, out _));
    }

    [Fact]
    public void NaNOrInfinityIsFoundInAChannelTheModelReadsWithItsSampleAndIgnoredInOneItDoesNot()
    {
        var check = Check(out var stream);
        var chunk = new SampleChunk(1000, 4, 5, new float[20]);
        Assert.Equal(-1, check.FindNonFinite(chunk, out _));
        chunk.Samples[(2 * 4) + 3] = float.NaN; // channel Ext, not read
        Assert.Equal(-1, check.FindNonFinite(chunk, out _));
        chunk.Samples[(3 * 4) + 2] = float.NegativeInfinity; // C4 at sample 1003
        Assert.Equal(stream.IndexOf("C4"), check.FindNonFinite(chunk, out long sample));
        Assert.Equal(1003, sample);
        chunk.Samples[(1 * 4) + 0] = float.NaN; // C3 at sample 1001: earlier
        Assert.Equal(stream.IndexOf("C3"), check.FindNonFinite(chunk, out sample));
        Assert.Equal(1001, sample);
    }

    [Fact]
    public void AFlatOrSaturatedChannelTheModelReadsIsFoundInTheWindowAndOneItDoesNotReadIsNot()
    {
        var check = Check(out var stream);
        var raw = new RawSignalHistory(4, 100);
        var random = new Random(3);
        var samples = new float[4 * 50];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (float)(random.NextDouble() * 40) - 20;
        }

        for (int s = 0; s < 50; s++)
        {
            samples[(s * 4) + 3] = 0; // Ext: flat, not read
        }

        raw.Append(samples, 50, 0);
        Assert.Equal(-1, check.FindBadChannel(raw, 0, 50, out var reason));
        Assert.Equal(FailSafeReason.None, reason);

        samples[(20 * 4) + 1] = 3000; // Cz saturates at sample 20
        raw.Restart(0);
        raw.Append(samples, 50, 0);
        Assert.Equal(stream.IndexOf("Cz"), check.FindBadChannel(raw, 10, 30, out reason));
        Assert.Equal(FailSafeReason.SaturatedChannel, reason);
        Assert.Equal(-1, check.FindBadChannel(raw, 21, 50, out _));

        for (int s = 30; s < 50; s++)
        {
            samples[(s * 4) + 2] = 12.5f; // C4 flat from 30
        }

        raw.Restart(0);
        raw.Append(samples, 50, 0);
        Assert.Equal(stream.IndexOf("C4"), check.FindBadChannel(raw, 30, 50, out reason));
        Assert.Equal(FailSafeReason.FlatChannel, reason);
        Assert.Equal(-1, check.FindBadChannel(raw, 21, 50, out _));
    }

    [Fact]
    public void ANetworkInputWithNaNOrInfinityIsNotFinite()
    {
        Assert.True(ChannelQualityCheck.AllFinite([1.0, -2.5, 0]));
        Assert.False(ChannelQualityCheck.AllFinite([1.0, double.NaN]));
        Assert.False(ChannelQualityCheck.AllFinite([double.PositiveInfinity]));
    }

    [Fact]
    public void EveryPositionPassedIsTakenOnceInOrderAndNoneBeforeTheFirstRestart()
    {
        var positions = new WindowPositions { Grid = new WindowGrid(320, 10) };
        Assert.False(positions.TryTakePassed(10_000, out _));
        positions.RestartAt(1000); // positions are accounted from the first window ending after 1000
        Assert.Equal([1010L, 1020, 1030], Taken(positions, 1039));
        Assert.Equal([1040L], Taken(positions, 1040));
        Assert.False(positions.IsAccounted(1050));
        Assert.True(positions.IsAccounted(1040));
        positions.Take(1070);
        Assert.Equal(1080, positions.Next);
        positions.RestartAt(500); // an earlier restart never brings back a position accounted for
        Assert.Equal(1080, positions.Next);
    }

    [Fact]
    public void PositionsInsideAGapAreSkippedWithoutAnItemAndAJumpBackForgetsThem()
    {
        var positions = new WindowPositions { Grid = new WindowGrid(320, 10) };
        positions.SkipTo(5000);
        Assert.False(positions.IsTracking);
        positions.RestartAt(0);
        Assert.Equal(320, positions.Next);
        positions.SkipTo(100_000_000_000);
        Assert.Equal(100_000_000_010, positions.Next);
        Assert.Equal([100_000_000_010L], Taken(positions, 100_000_000_015));
        positions.Forget();
        Assert.False(positions.TryTakePassed(long.MaxValue, out _));
        positions.ResumeAfter(2000);
        Assert.Equal(2010, positions.Next);
    }

    [Fact]
    public void TheGridsFirstEndAfterAnIndexIsTheSmallestEndOfAWindowAfterItAndTheWindowerCutsOnTheSameGrid()
    {
        var grid = new WindowGrid(320, 10);
        Assert.Equal(320, grid.FirstEndAfter(-5));
        Assert.Equal(320, grid.FirstEndAfter(319));
        Assert.Equal(330, grid.FirstEndAfter(320));
        Assert.Equal(1330, grid.FirstEndAfter(1320));
        Assert.Equal(1330, grid.FirstEndAfter(1329));
        Assert.Equal(0, grid.FirstStartAtOrAfter(-100));
        Assert.Equal(1010, grid.FirstStartAtOrAfter(1001));

        // The windower restarted at 1001 cuts its first window at the grid's first start after it.
        var starts = new List<long>();
        var windower = new SlidingWindower(1, 320, 10, new StartSink(starts));
        Assert.Equal(grid, windower.Grid);
        var history = new EegDann.Dsp.Streaming.SignalHistory(1, 2000);
        windower.Restart(1001);
        history.Restart(1001);
        history.Append(new double[400], 400);
        windower.OnAppended(history);
        Assert.Equal([1010L, 1020, 1030, 1040, 1050, 1060, 1070, 1080], starts);
        Assert.All(starts, s => Assert.Equal(s + 320, grid.FirstEndAfter(s + 319)));
    }

    [Theory]
    [InlineData(250.0, 1000, 640, 1562)]
    [InlineData(512.0, 1000, 312, 3200)]
    [InlineData(160.0, 1000, 1000, 1000)]
    public void TheRateMappingTakesSourceIndicesToThePipelinesAndBackAtOrBefore(double source, long sourceIndex, long pipelineIndex, long back)
    {
        var rate = new SampleRateMapping(source, 160);
        Assert.Equal(source == 160, rate.IsIdentity);
        Assert.Equal(pipelineIndex, rate.ToPipeline(sourceIndex));
        Assert.Equal(back, rate.ToSource(1000));
        Assert.InRange(rate.SourceSamples(320), (320 * source / 160) + 1, (320 * source / 160) + 2);
    }

    [Fact]
    public void AReasonIsOneEpisodeUntilACleanWindowClearsItAndPassedPositionsCarryItOrGap()
    {
        var metrics = new DaemonMetrics();
        var episode = new FailSafeEpisode(metrics, NullLogger.Instance);
        Assert.Equal(FailSafeReason.Gap, episode.PassedReason);
        episode.Enter(FailSafeReason.FlatChannel, 100, "C3");
        episode.Enter(FailSafeReason.FlatChannel, 110, "C3");
        episode.CountWindow();
        Assert.Equal(FailSafeReason.FlatChannel, episode.PassedReason);
        Assert.Equal(1, metrics.FailSafeEpisodes(FailSafeReason.FlatChannel));
        episode.Enter(FailSafeReason.NonFinite, 120, null);
        Assert.Equal(1, metrics.FailSafeEpisodes(FailSafeReason.NonFinite));
        episode.Clear(130);
        Assert.Equal(FailSafeReason.None, episode.Hold);
        episode.Enter(FailSafeReason.FlatChannel, 140, "C3");
        Assert.Equal(2, metrics.FailSafeEpisodes(FailSafeReason.FlatChannel));
    }

    private static ChannelQualityCheck Check(out SignalInfo stream)
    {
        stream = new SignalInfo(160, ["C3", "Cz", "C4", "Ext"]);
        var check = new ChannelQualityCheck(new FailSafeOptions { FlatMicrovolts = 1, SaturationMicrovolts = 2000 });
        check.Use(stream, new SignalInfo(160, ["C3", "Cz", "C4"]));
        return check;
    }

    private static List<long> Taken(WindowPositions positions, long pipelineEnd)
    {
        var taken = new List<long>();
        while (positions.TryTakePassed(pipelineEnd, out long end))
        {
            taken.Add(end);
        }

        return taken;
    }

    private sealed class StartSink(List<long> starts) : IWindowSink
    {
        public void OnWindow(long startSample, ReadOnlySpan<double> window) => starts.Add(startSample);
    }
}
