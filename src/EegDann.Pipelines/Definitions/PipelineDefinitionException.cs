namespace EegDann.Pipelines.Definitions;

/// <summary>
/// A pipeline file is malformed or asks for something that cannot run. The message names the file,
/// and for each problem the section or step (index and type) and the parameter; every problem found
/// is listed at once.
/// </summary>
public sealed class PipelineDefinitionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file (or other source name) that was read.</param>
    /// <param name="problems">Every problem, each already naming its section or step.</param>
    public PipelineDefinitionException(string source, IReadOnlyList<string> problems)
        : base($"{source}: {(problems.Count == 1 ? problems[0] : $"{problems.Count} problems:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))}")
    {
        Source = source;
        Problems = problems;
    }

    /// <summary>The file (or other source name) that was read.</summary>
    public new string Source { get; }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Problems { get; }
}
