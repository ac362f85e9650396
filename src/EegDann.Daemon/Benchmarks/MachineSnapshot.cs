using System.Runtime.InteropServices;

namespace EegDann.Daemon.Benchmarks;

/// <summary>The machine a measurement ran on: what every benchmark result records beside its numbers.</summary>
/// <param name="Cores">Logical processors this process may use.</param>
/// <param name="CpuModel">The processor's model name (<c>/proc/cpuinfo</c>), or <c>unknown</c>.</param>
/// <param name="OperatingSystem">The operating system's description.</param>
/// <param name="DotNet">The .NET runtime's description.</param>
public sealed record MachineSnapshot(int Cores, string CpuModel, string OperatingSystem, string DotNet)
{
    /// <summary>The machine this process runs on.</summary>
    public static MachineSnapshot Current() =>
        new(Environment.ProcessorCount, CpuModelName(), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);

    /// <summary>The 1, 5 and 15-minute load averages (<c>/proc/loadavg</c>), or null where there is none.</summary>
    public static double[]? LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The load averages as text (<c>1.20 0.80 0.50</c>), or <c>unknown</c>.</summary>
    public static string LoadAverageText() =>
        LoadAverage() is { } l ? string.Join(' ', l.Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))) : "unknown";

    private static string CpuModelName()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or hidden: the architecture is all there is to say.
        }

        return $"unknown ({RuntimeInformation.ProcessArchitecture})";
    }
}

/// <summary>Nearest-rank quantiles of a set of times.</summary>
/// <param name="P50">Median.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Largest.</param>
/// <param name="Count">How many.</param>
public sealed record TimeQuantiles(double P50, double P99, double Max, int Count)
{
    /// <summary>The quantiles of <paramref name="values"/> (sorted in place).</summary>
    public static TimeQuantiles Of(List<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values.Sort();
        return new(Output.DecisionListener.NearestRank(values, 0.5), Output.DecisionListener.NearestRank(values, 0.99), values.Count > 0 ? values[^1] : double.NaN, values.Count);
    }
}
