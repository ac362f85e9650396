using System.Diagnostics;

namespace EegDann.Cli.Tests;

/// <summary>The result of one run of the eegdann tool.</summary>
public sealed record ToolRun(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs the eegdann tool built beside the tests (dotnet eegdann.dll), without a terminal.</summary>
public static class EegDannProcess
{
    /// <summary>How long a run may take unless its test says otherwise: enough for a command that reads a few recordings on a loaded machine.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(2);

    public static Task<ToolRun> RunAsync(params string[] args) => RunAsync(args, null);

    /// <summary>
    /// Runs the tool with extra environment variables; after <paramref name="timeout"/> (default
    /// <see cref="DefaultTimeout"/>) it is killed and a <see cref="TimeoutException"/> names the command and its output so far.
    /// </summary>
    public static async Task<ToolRun> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout = null)
    {
        var start = StartInfo(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var limit = timeout ?? DefaultTimeout;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var expiry = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(expiry.Token);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"eegdann {string.Join(' ', args)} did not exit within {limit.TotalSeconds:0} s; killed. Standard error so far:\n{await stderr}");
        }

        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs the tool and sends it <paramref name="signal"/> (as <c>kill -SIGNAL</c>) once a line of
    /// its standard error contains <paramref name="when"/>; fails if no line ever does.
    /// </summary>
    public static async Task<ToolRun> RunAndSignalAsync(string[] args, string when, string signal, IReadOnlyDictionary<string, string>? environment = null, Func<Task>? beforeSignal = null)
    {
        var start = StartInfo(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        bool signalled = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await ReadLineOrExplainAsync(process, stderr, timeout.Token) is { } line)
        {
            stderr.AppendLine(line);
            if (!signalled && line.Contains(when, StringComparison.Ordinal))
            {
                signalled = true;
                if (beforeSignal is not null)
                {
                    await beforeSignal();
                }

                using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
                await kill.WaitForExitAsync(timeout.Token);
            }
        }

        await process.WaitForExitAsync(timeout.Token);
        if (!signalled)
        {
            throw new InvalidOperationException($"the tool never wrote '{when}' to its standard error:\n{stderr}");
        }

        return new ToolRun(process.ExitCode, await stdout, stderr.ToString());
    }

    /// <summary>The next line of the tool's standard error; on the time-out, an exception that shows what it wrote so far.</summary>
    private static async Task<string?> ReadLineOrExplainAsync(Process process, System.Text.StringBuilder stderr, CancellationToken cancellationToken)
    {
        try
        {
            return await process.StandardError.ReadLineAsync(cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the tool did not finish within 2 minutes (exited: {process.HasExited}); its standard error so far:\n{stderr}", e);
        }
    }

    private static ProcessStartInfo StartInfo(string[] args)
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

        return start;
    }
}
