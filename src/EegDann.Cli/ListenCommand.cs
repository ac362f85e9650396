using System.CommandLine;
using System.Text.Json;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using Serilog;

namespace EegDann.Cli;

/// <summary><c>eegdann listen --udp HOST:PORT</c>: a stand-in controller that prints the daemon's decisions and sums them up.</summary>
public static class ListenCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var udp = new Option<string>("--udp") { Description = "Where the daemon sends its decisions (HOST:PORT).", DefaultValueFactory = _ => "127.0.0.1:9876" };
        var count = new Option<long>("--count") { Description = "Stop after this many decisions (0: until Ctrl-C or --idle)." };
        var idle = new Option<double?>("--idle") { Description = "Stop when no decision arrived for this many seconds (after the first)." };
        var quiet = new Option<bool>("--quiet") { Description = "Do not print each decision; only the summary." };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on stdout (after the decisions, unless --quiet)." };
        var command = new Command("listen", "Receive the daemon's decision datagrams: print each as a JSON line on stdout, then a summary (sequence gaps, commands, fail-safe reasons, latency p50/p99).");
        command.Options.Add(udp);
        command.Options.Add(count);
        command.Options.Add(idle);
        command.Options.Add(quiet);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!NetworkEndpoint.TryParse(parse.GetValue(udp), out var endpoint, out var problem))
            {
                Log.Error("--udp: {Problem}", problem);
                return ExitCodes.BadInput;
            }

            using var listener = new DecisionListener(endpoint);
            Log.Information("Listening for decisions on {Endpoint}", listener.LocalEndpoint);
            bool print = !parse.GetValue(quiet);
            double? idleSeconds = parse.GetValue(idle);
            var summary = await listener.ListenAsync(
                print ? line => Console.Out.WriteLine(line) : null,
                parse.GetValue(count),
                idleSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
                cancellationToken);
            Log.Information(
                "{Datagrams} decisions (seq {FirstSeq}..{LastSeq}, {SeqGaps} gaps) over {Seconds:F1} s; commands {Commands}; fail-safe {Reasons}; latency p50 {LatencyP50Ms:F3} ms p99 {LatencyP99Ms:F3} ms max {LatencyMaxMs:F3} ms; models {Models}",
                summary.Datagrams, summary.FirstSeq, summary.LastSeq, summary.SeqGaps, summary.Seconds, Counts(summary.Commands), Counts(summary.Reasons), summary.LatencyP50Ms, summary.LatencyP99Ms, summary.LatencyMaxMs, string.Join(", ", summary.Models));
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    datagrams = summary.Datagrams,
                    first_seq = summary.FirstSeq,
                    last_seq = summary.LastSeq,
                    seq_gaps = summary.SeqGaps,
                    commands = summary.Commands,
                    reasons = summary.Reasons,
                    latency_p50_ms = NullIfNaN(summary.LatencyP50Ms),
                    latency_p99_ms = NullIfNaN(summary.LatencyP99Ms),
                    latency_max_ms = NullIfNaN(summary.LatencyMaxMs),
                    models = summary.Models,
                    seconds = summary.Seconds,
                }));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;

    private static string Counts(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(p => $"{p.Key} {p.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
}
