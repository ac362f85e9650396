using System.Diagnostics;

namespace EegDann.Cli.Tests;

/// <summary>The result of one run of the eegdann tool.</summary>
public sealed record ToolRun(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs the eegdann tool built beside the tests (dotnet eegdann.dll), without a terminal.</summary>
public static class EegDannProcess
{
    public static Task<ToolRun> RunAsync(params string[] args) => RunAsync(args, null);

    /// <summary>Runs the tool with extra environment variables.</summary>
    public static async Task<ToolRun> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "eegdann.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }
}
