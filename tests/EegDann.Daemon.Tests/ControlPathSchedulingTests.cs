using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;

namespace EegDann.Daemon.Tests;

public sealed class ControlPathSchedulingTests
{
    [Fact]
    public void ALiveSourceGetsTheRealTimePolicyAsked()
    {
        var asked = new RealtimeOptions { Scheduling = ControlThreadScheduling.Fifo, Priority = 20 };
        RealtimeOptions? given = null;
        var (applied, description) = ControlPathScheduling.Apply(asked, SourcePacing.Live, o =>
        {
            given = o;
            return (true, "SCHED_FIFO priority 20");
        });
        Assert.True(applied);
        Assert.Same(asked, given);
        Assert.Equal("SCHED_FIFO priority 20", description);
    }

    [Theory]
    [InlineData(ControlThreadScheduling.Fifo)]
    [InlineData(ControlThreadScheduling.RoundRobin)]
    [InlineData(ControlThreadScheduling.Nice)]
    public void AnUnpacedReplayRunsWithNormalTimeSharingAndSaysWhy(ControlThreadScheduling scheduling)
    {
        RealtimeOptions? given = null;
        var (applied, description) = ControlPathScheduling.Apply(new RealtimeOptions { Scheduling = scheduling }, SourcePacing.Unpaced, o =>
        {
            given = o;
            return (true, "normal time sharing");
        });
        Assert.True(applied);
        Assert.Equal(ControlThreadScheduling.Normal, given!.Scheduling);
        Assert.Contains("unpaced replay", description, StringComparison.Ordinal);
        Assert.Contains(scheduling.ToString(), description, StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusedPolicyIsReportedNotThrownSoTheThreadRunsOnAtNormalPriority()
    {
        var (applied, description) = ControlPathScheduling.Apply(
            new RealtimeOptions { Scheduling = ControlThreadScheduling.Fifo },
            SourcePacing.Live,
            _ => (false, "SCHED_FIFO priority 20 was refused (errno 1: not permitted)"));
        Assert.False(applied);
        Assert.Contains("errno 1", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkOnADedicatedThreadRunsItsStartFirstAndComesBackToItAfterEveryAwait()
    {
        int startThread = -1;
        var (first, afterDelay, afterYield) = await DedicatedThread.Run(
            "test-dedicated",
            () => startThread = Environment.CurrentManagedThreadId,
            async () =>
            {
                int first = Environment.CurrentManagedThreadId;
                await Task.Delay(20);
                int afterDelay = Environment.CurrentManagedThreadId;
                await Task.Yield();
                return (first, afterDelay, Environment.CurrentManagedThreadId);
            });
        Assert.Equal(startThread, first);
        Assert.Equal(first, afterDelay);
        Assert.Equal(first, afterYield);
    }
}
