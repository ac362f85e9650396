namespace EegDann.Bench;

/// <summary>
/// One named benchmark. Implementations are found by reflection, so adding a benchmark is adding a
/// file. A benchmark measures EegDann and, where a reference exists (../shared/peers, SciPy), the
/// reference in the same run, and prints a table with the ratio.
/// </summary>
public interface IBench
{
    /// <summary>The name used on the command line, e.g. <c>dann-step</c>.</summary>
    string Name { get; }

    /// <summary>One line: what is measured and against what.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark; <paramref name="args"/> are the arguments after its name. Returns the exit code.</summary>
    Task<int> RunAsync(BenchContext context, string[] args);
}

/// <summary>What every benchmark may use: where the data and the reference scripts are, and where to write results.</summary>
public sealed class BenchContext
{
    /// <summary>The repository root.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>The folder of the shared reference scripts (../shared/peers), or null when absent.</summary>
    public string? PeersDirectory { get; init; }

    /// <summary>The shared raw recordings (../shared/recordings-raw), or null when absent.</summary>
    public string? RawDirectory { get; init; }

    /// <summary>Where result JSON files go (bench/results).</summary>
    public required string ResultsDirectory { get; init; }

    /// <summary>The system Python for reference scripts (<c>/usr/bin/python3</c>), or null when absent.</summary>
    public string? Python { get; init; }
}

/// <summary>How benchmarks write their result files.</summary>
internal static class BenchJson
{
    /// <summary>Indented JSON (one instance: options cache their type metadata).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
}

/// <summary>How benchmarks read their options.</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/> (<c>--hours 6</c>), or null when absent.</summary>
    public static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
