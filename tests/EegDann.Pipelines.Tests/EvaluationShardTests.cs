using EegDann.Pipelines.UseCases;

namespace EegDann.Pipelines.Tests;

/// <summary>Which shard a process is: --shard K/N, a Slurm job array's or a Kubernetes Indexed Job's environment.</summary>
public sealed class EvaluationShardTests
{
    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 3 / 3 ", 3, 3)]
    public void KOfNIsParsed(string text, int k, int n) =>
        Assert.Equal(new EvaluationShard(k, n), EvaluationShard.Parse(text));

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("2")]
    [InlineData("a/b")]
    [InlineData("-1/3")]
    public void AShardThatDoesNotExistIsRefused(string text) =>
        Assert.Throws<FormatException>(() => EvaluationShard.Parse(text));

    [Fact]
    public void EveryUnitBelongsToExactlyOneShardRoundRobin()
    {
        var shards = Enumerable.Range(1, 3).Select(k => new EvaluationShard(k, 3)).ToArray();
        for (int unit = 0; unit < 10; unit++)
        {
            Assert.Single(shards, s => s.Contains(unit));
        }

        Assert.Equal([1, 4, 7], Enumerable.Range(0, 10).Where(shards[1].Contains));
        Assert.Equal("part-2-of-3.parquet", shards[1].FileName);
    }

    [Theory]
    [InlineData("0", "0", null, "2", 1, 3)]      // --array=0-2
    [InlineData("3", "1", null, "3", 3, 3)]      // --array=1-3
    [InlineData("5", "4", "3", null, 2, 3)]      // --array=4-6, COUNT given
    public void ASlurmArrayTaskGivesKOfN(string id, string min, string? count, string? max, int k, int n)
    {
        var environment = new Dictionary<string, string?> { ["SLURM_ARRAY_TASK_ID"] = id, ["SLURM_ARRAY_TASK_MIN"] = min, ["SLURM_ARRAY_TASK_COUNT"] = count, ["SLURM_ARRAY_TASK_MAX"] = max };

        Assert.Equal(new EvaluationShard(k, n), EvaluationShard.FromEnvironment(environment, null));
    }

    [Fact]
    public void AKubernetesCompletionIndexNeedsTheConfiguredCount()
    {
        var environment = new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = "2" };

        Assert.Equal(new EvaluationShard(3, 4), EvaluationShard.FromEnvironment(environment, 4));
        var e = Assert.Throws<FormatException>(() => EvaluationShard.FromEnvironment(environment, null));
        Assert.Contains("--shards N", e.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => EvaluationShard.FromEnvironment(environment, 2));
    }

    [Fact]
    public void NoSchedulerVariablesMeanNoShard() =>
        Assert.Null(EvaluationShard.FromEnvironment(new Dictionary<string, string?> { ["PATH"] = "/usr/bin" }, 3));
}
