using System.Globalization;
using EegDann.Daemon.Output;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Tests;

/// <summary>The outcome of an in-process daemon run.</summary>
internal sealed record DaemonRun(DaemonExitCode Exit, IHost Host, ListenSummary Heard, IReadOnlyList<string> Messages, ListLoggerProvider Logs) : IDisposable
{
    /// <summary>Asserts the run ended as expected, showing the log when it did not.</summary>
    public void AssertExit(DaemonExitCode expected) =>
        Assert.True(Exit == expected, $"exit {Exit}, expected {expected}; log:\n" + string.Join("\n", Logs.Lines.Select(l => $"{l.Level} {l.Category}: {l.Message}")));

    public T Get<T>()
        where T : notnull => Host.Services.GetRequiredService<T>();

    public void Dispose()
    {
        Host.Services.GetRequiredService<Models.ActiveModel>().Dispose();
        Host.Dispose();
    }
}

/// <summary>Runs the daemon in-process with settings given as configuration keys, listening to its datagrams.</summary>
internal static class DaemonRunner
{
    /// <summary>A safety net so a broken test cannot hang the run; no test asserts on time.</summary>
    public static readonly TimeSpan Safety = TimeSpan.FromMinutes(3);

    /// <summary>Settings replaying a shipped recording as fast as possible and stopping at its end.</summary>
    public static Dictionary<string, string?> Replay(string recording, string model) => new()
    {
        ["Daemon:Acquisition:Source"] = "Replay",
        ["Daemon:Replay:Path"] = recording,
        ["Daemon:Replay:Speed"] = "0",
        ["Daemon:Replay:StopAtEnd"] = "true",
        ["Daemon:Decoder:ModelPath"] = model,
        ["Daemon:Decoder:WatchModel"] = "false",
        ["Daemon:Metrics:LogIntervalSeconds"] = "3600",
    };

    /// <summary>Runs until the daemon stops by itself (or <paramref name="stop"/> fires), then drains the listener.</summary>
    public static async Task<DaemonRun> RunAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null, Func<IHost, Task>? whileRunning = null, bool overrideUdp = true)
    {
        using var listener = new DecisionListener(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        if (overrideUdp)
        {
            settings["Daemon:Output:Udp"] = "127.0.0.1:" + listener.LocalEndpoint.Port.ToString(CultureInfo.InvariantCulture);
        }

        var messages = new List<string>();
        using var stopListening = new CancellationTokenSource();
        var listening = listener.ListenAsync(m => { lock (messages) { messages.Add(m); } }, 0, null, stopListening.Token);
        var logs = new ListLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var host = DaemonHost.Build(configuration, logging => logging.AddProvider(logs), services);
        using var safety = new CancellationTokenSource(Safety);
        var running = DaemonHost.RunAsync(host, safety.Token);
        if (whileRunning != null)
        {
            try
            {
                await whileRunning(host);
            }
            catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException)
            {
                throw new TimeoutException(e.Message + "; log:\n" + string.Join("\n", logs.Lines.Select(l => $"{l.Level} {l.Category}: {l.Message}")), e);
            }
        }

        var exit = await running;
        Assert.False(safety.IsCancellationRequested, "the daemon did not stop within the safety limit; log:\n" + string.Join("\n", logs.Lines.Select(l => $"{l.Level} {l.Category}: {l.Message}")));

        // Datagrams already sent may still sit in the socket: read until it is quiet.
        long count = -1;
        while (true)
        {
            await Task.Delay(200);
            long now;
            lock (messages)
            {
                now = messages.Count;
            }

            if (now == count)
            {
                break;
            }

            count = now;
        }

        await stopListening.CancelAsync();
        var heard = await listening;
        lock (messages)
        {
            return new DaemonRun(exit, host, heard, messages.ToArray(), logs);
        }
    }
}
