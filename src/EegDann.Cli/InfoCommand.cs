using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using Serilog;
using Spectre.Console;

namespace EegDann.Cli;

/// <summary><c>eegdann info FILE.parquet [--json]</c>: what a Parquet recording holds.</summary>
public static class InfoCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A recording's samples file (NAME.parquet); its NAME.events.parquet is read too." };
        var json = new Option<bool>("--json") { Description = "Print everything as one JSON object on stdout." };
        var command = new Command("info", "Show a Parquet recording: rate, channels, samples, events, subject and the rest of its metadata.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!.FullName;
            RecordingSummary summary;
            try
            {
                summary = await RecordingSummary.ReadAsync(path, cancellationToken);
            }
            catch (RecordingFormatException e)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(ToJson(summary), Json));
            }
            else
            {
                Print(summary);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Dictionary<string, object?> ToJson(RecordingSummary s) => new()
    {
        ["file"] = s.Path,
        ["sample_rate_hz"] = s.Info.SampleRateHz,
        ["channels"] = s.Info.Channels,
        ["n_samples"] = s.SampleCount,
        ["duration_s"] = s.SampleCount / s.Info.SampleRateHz,
        ["subject"] = s.Metadata.Subject,
        ["session"] = s.Metadata.Session,
        ["run"] = s.Metadata.Run,
        ["source_file"] = s.Metadata.SourceFile,
        ["source_sha256"] = s.Metadata.SourceSha256,
        ["eegdann_version"] = s.Metadata.EegDannVersion,
        ["original_channels"] = s.Metadata.OriginalChannelLabels,
        ["channel_units"] = s.Metadata.ChannelUnits,
        ["row_groups"] = s.RowGroupCount,
        ["extra"] = s.Metadata.Extra,
        ["event_counts"] = s.Events.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
        ["events"] = s.Events.Select(e => new Dictionary<string, object>
        {
            ["onset_s"] = e.OnsetSeconds,
            ["duration_s"] = e.DurationSeconds,
            ["label"] = e.Label,
            ["sample"] = e.Sample,
        }).ToList(),
    };

    private static void Print(RecordingSummary s)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        var table = new Table().HideHeaders().AddColumn("key").AddColumn("value");
        void Row(string key, string? value) => table.AddRow(Markup.Escape(key), Markup.Escape(value ?? "—"));
        Row("file", s.Path);
        Row("subject", s.Metadata.Subject);
        Row("session", s.Metadata.Session);
        Row("run", s.Metadata.Run);
        Row("sample rate", $"{s.Info.SampleRateHz} Hz");
        Row("samples", $"{s.SampleCount} ({s.SampleCount / s.Info.SampleRateHz:F2} s, {s.RowGroupCount} row groups)");
        Row("channels", $"{s.Info.ChannelCount}: {string.Join(" ", s.Info.Channels)}");
        Row("units", string.Join(" ", s.Metadata.ChannelUnits.Distinct()));
        Row("events", $"{s.Events.Count}: {string.Join(", ", s.Events.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} × {g.Count()}"))}");
        Row("source", $"{s.Metadata.SourceFile} (SHA-256 {s.Metadata.SourceSha256})");
        Row("written by", $"EegDann {s.Metadata.EegDannVersion}");
        foreach (var (key, value) in s.Metadata.Extra.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Row(key, value);
        }

        console.Write(table);
    }
}
