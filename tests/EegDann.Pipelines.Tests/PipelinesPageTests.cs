using EegDann.Pipelines.Steps;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>docs/pipelines.md's table of steps documents every step type the registry accepts, with every parameter it reads.</summary>
public sealed class PipelinesPageTests
{
    public static TheoryData<string> StepTypes() => new(StageRegistry.Types);

    [Theory]
    [MemberData(nameof(StepTypes))]
    public void ThePipelinesPageHasARowForTheStepNamingEachOfItsParameters(string type)
    {
        string[] rows = File.ReadAllLines(Path.Combine(TestData.RepositoryRoot, "docs", "pipelines.md"))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Replace("\\|", "/", StringComparison.Ordinal)) // an escaped | inside a cell is no column
            .ToArray();
        // A row's first cell lists the step types it documents: | `bandpass`, `highpass`, `lowpass` | … |
        string? row = rows.FirstOrDefault(r => r.Split('|')[1].Contains($"`{type}`", StringComparison.Ordinal));
        Assert.True(row != null, $"docs/pipelines.md has no row for the step type '{type}'");

        // StageRegistry.Describe gives "type(p1, p2): description".
        string described = StageRegistry.Describe(type);
        int open = described.IndexOf('(', StringComparison.Ordinal);
        int close = described.IndexOf(')', open);
        var parameters = described[(open + 1)..close].Split(", ", StringSplitOptions.RemoveEmptyEntries);
        var missing = parameters.Where(p => !row.Split('|')[2].Contains($"`{p}`", StringComparison.Ordinal)).ToArray();
        Assert.True(missing.Length == 0, $"docs/pipelines.md's row for '{type}' does not name its parameters [{string.Join(", ", missing)}]");
    }
}
