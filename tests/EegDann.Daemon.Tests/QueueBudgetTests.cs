namespace EegDann.Daemon.Tests;

/// <summary>The bound in bytes on a queue beside its bound in items.</summary>
public sealed class QueueBudgetTests
{
    [Fact]
    public void BytesBeyondTheBudgetAreRefusedUntilReleased()
    {
        var budget = new QueueBudget(100);

        Assert.True(budget.TryTake(60));
        Assert.True(budget.TryTake(40));
        Assert.False(budget.TryTake(1));
        budget.Release(60);
        Assert.True(budget.TryTake(50));
        Assert.False(budget.TryTake(11));
        Assert.Equal(90, budget.Bytes);
    }

    [Fact]
    public void AChunkLargerThanTheBudgetPassesIntoAnEmptyQueueOnly()
    {
        var budget = new QueueBudget(100);

        Assert.True(budget.TryTake(500));
        Assert.False(budget.TryTake(1));
        budget.Release(500);
        Assert.True(budget.TryTake(1));
        Assert.False(budget.TryTake(500));
    }
}
