using System.Collections.Concurrent;
using EegDann.Core;
using Serilog;
using Spectre.Console;

namespace EegDann.Cli;

/// <summary>
/// Shows <see cref="WorkProgress"/> as Spectre.Console progress bars when stderr is a terminal, and
/// as plain structured log lines (at most one per task every few seconds, and at completion) when
/// output is redirected. Bars go to stderr so stdout stays clean for <c>--json</c>.
/// </summary>
public static class ProgressDisplay
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    /// <summary>Whether bars will be drawn (stderr is an interactive terminal).</summary>
    public static bool IsInteractive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    /// <summary>Runs <paramref name="work"/>, displaying the progress it reports.</summary>
    public static async Task<T> RunAsync<T>(string title, Func<IProgress<WorkProgress>, Task<T>> work)
    {
        if (!IsInteractive)
        {
            return await work(new LogProgress());
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new ConcurrentDictionary<string, ProgressTask>();
                var progress = new SynchronousProgress(p =>
                {
                    var task = tasks.GetOrAdd(p.Task, name => context.AddTask(Markup.Escape(name), maxValue: Math.Max(1, p.Total)));
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = Math.Min(p.Done, p.Total);
                    task.Description = Markup.Escape(p.Detail is null ? p.Task : $"{p.Task}: {p.Detail}");
                });
                result = await work(progress);
            });
        Log.Debug("{Title} finished", title);
        return result;
    }

    /// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (no synchronisation context hop).</summary>
    private sealed class SynchronousProgress(Action<WorkProgress> report) : IProgress<WorkProgress>
    {
        private readonly object gate = new();

        public void Report(WorkProgress value)
        {
            lock (gate)
            {
                report(value);
            }
        }
    }

    /// <summary>Log lines instead of bars: one per task at most every <see cref="LogInterval"/>, plus completion.</summary>
    private sealed class LogProgress : IProgress<WorkProgress>
    {
        private readonly ConcurrentDictionary<string, DateTime> lastLogged = new();

        public void Report(WorkProgress value)
        {
            var now = DateTime.UtcNow;
            bool done = value.Done >= value.Total;
            var last = lastLogged.GetOrAdd(value.Task, DateTime.MinValue);
            if (!done && now - last < LogInterval)
            {
                return;
            }

            lastLogged[value.Task] = now;
            Log.Information("{Task}: {Done}/{Total} ({Percent:F0}%) {Detail}", value.Task, value.Done, value.Total, value.Fraction * 100, value.Detail ?? "");
        }
    }
}
