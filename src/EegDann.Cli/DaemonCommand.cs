using System.CommandLine;
using System.Globalization;
using EegDann.Daemon;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann daemon</c>: the streaming decoder as a long-running service (systemd-ready). Settings
/// come from the <c>Daemon:*</c> sections of appsettings.json, then <c>EEGDANN_Daemon__…</c>
/// environment variables, then these options.
/// </summary>
public static class DaemonCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var replay = new Option<FileInfo?>("--replay") { Description = "Replay this Parquet recording as the live stream." };
        var speed = new Option<string?>("--speed") { Description = "Replay (or synthetic) pace: a multiple of real time (10 = ten times faster), or 'max' / 0 for as fast as the daemon takes it." };
        var loop = new Option<bool>("--loop") { Description = "Replay the recording again and again." };
        var stopAtEnd = new Option<bool>("--stop-at-end") { Description = "Stop (exit code 0) once the replay has been decoded and every decision sent." };
        var tcp = new Option<string?>("--tcp") { Description = "Listen for an amplifier bridge on HOST:PORT (the TCP protocol: docs/protocols.md), e.g. 127.0.0.1:8765." };
        var lsl = new Option<string?>("--lsl") { Description = "Decode a Lab Streaming Layer stream: name=NAME, type=TYPE or source_id=ID (finding it: the Lsl settings)." };
        var lslMarkers = new Option<string?>("--lsl-markers") { Description = "Record this LSL marker stream's samples (cues) as events beside the EEG: name=NAME…" };
        var synthetic = new Option<bool>("--synthetic") { Description = "Decode a synthetic motor-imagery-like stream (a demo)." };
        var model = new Option<FileInfo?>("--model") { Description = "The model file (from calibrate-new-subject)." };
        var udp = new Option<string?>("--udp") { Description = "Send one decision datagram per window to HOST:PORT, e.g. 127.0.0.1:9876." };
        var stdout = new Option<bool>("--stdout") { Description = "Also print every decision as one JSON line on stdout." };
        var record = new Option<DirectoryInfo?>("--record") { Description = "Record the raw stream to Parquet recordings in this folder." };
        var subject = new Option<string?>("--subject") { Description = "Who is decoded, when the stream does not say (selects the model's alignment for the subject)." };
        var metrics = new Option<string?>("--metrics") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics and the live console at http://HOST:PORT/." };
        var allowControl = new Option<bool>("--allow-control") { Description = "Let the console (and POST /calibrate on the metrics endpoint) start an online calibration." };
        var command = new Command(
            "daemon",
            "Run the live decoder: acquisition (--replay, --tcp or --synthetic) → filters and windows → model → smoothed, thresholded commands as UDP datagrams, with fail-safe, session recording, model hot swap and metrics. Stops cleanly on SIGTERM/Ctrl-C.");
        foreach (var option in new Option[] { replay, speed, loop, stopAtEnd, tcp, lsl, lslMarkers, synthetic, model, udp, stdout, record, subject, metrics, allowControl })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            int sources = (parse.GetValue(replay) != null ? 1 : 0) + (parse.GetValue(tcp) != null ? 1 : 0) + (parse.GetValue(lsl) != null ? 1 : 0) + (parse.GetValue(synthetic) ? 1 : 0);
            if (sources > 1)
            {
                Log.Error("Choose one source: --replay, --tcp, --lsl or --synthetic");
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(replay) is { } file)
            {
                overrides[$"{AcquisitionOptions.SectionName}:Source"] = nameof(SourceKind.Replay);
                overrides[$"{ReplayOptions.SectionName}:Path"] = file.FullName;
            }

            if (parse.GetValue(tcp) is { } listen)
            {
                overrides[$"{AcquisitionOptions.SectionName}:Source"] = nameof(SourceKind.Tcp);
                overrides[$"{TcpSourceOptions.SectionName}:Listen"] = listen;
            }

            if (parse.GetValue(lsl) is { } stream)
            {
                overrides[$"{AcquisitionOptions.SectionName}:Source"] = nameof(SourceKind.Lsl);
                overrides[$"{LslSourceOptions.SectionName}:Stream"] = stream;
            }

            if (parse.GetValue(lslMarkers) is { } markerStream)
            {
                overrides[$"{LslSourceOptions.SectionName}:Markers"] = markerStream;
            }

            if (parse.GetValue(synthetic))
            {
                overrides[$"{AcquisitionOptions.SectionName}:Source"] = nameof(SourceKind.Synthetic);
            }

            if (parse.GetValue(speed) is { } pace)
            {
                if (!TryParseSpeed(pace, out double value))
                {
                    Log.Error("--speed {Speed}: give a positive multiple of real time, or 'max'", pace);
                    return ExitCodes.BadInput;
                }

                overrides[$"{ReplayOptions.SectionName}:Speed"] = value.ToString(CultureInfo.InvariantCulture);
                overrides[$"{SyntheticSourceOptions.SectionName}:Speed"] = value.ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(loop))
            {
                overrides[$"{ReplayOptions.SectionName}:Loop"] = "true";
            }

            if (parse.GetValue(stopAtEnd))
            {
                overrides[$"{ReplayOptions.SectionName}:StopAtEnd"] = "true";
            }

            if (parse.GetValue(model) is { } modelFile)
            {
                overrides[$"{DecoderOptions.SectionName}:ModelPath"] = modelFile.FullName;
            }

            if (parse.GetValue(udp) is { } destination)
            {
                overrides[$"{ControlOutputOptions.SectionName}:Udp"] = destination;
            }

            if (parse.GetValue(stdout))
            {
                overrides[$"{ControlOutputOptions.SectionName}:Stdout"] = "true";
            }

            if (parse.GetValue(record) is { } folder)
            {
                overrides[$"{RecorderOptions.SectionName}:Directory"] = folder.FullName;
            }

            if (parse.GetValue(subject) is { } who)
            {
                overrides[$"{AcquisitionOptions.SectionName}:Subject"] = who;
            }

            if (parse.GetValue(metrics) is { } endpoint)
            {
                overrides[$"{MetricsOptions.SectionName}:Prometheus"] = endpoint;
            }

            if (parse.GetValue(allowControl))
            {
                overrides[$"{EegDann.Daemon.LiveConsole.ConsoleOptions.SectionName}:AllowControl"] = "true";
            }

            var configuration = new ConfigurationBuilder()
                .AddConfiguration(EegDannCli.LoadConfiguration(parse))
                .AddInMemoryCollection(overrides)
                .Build();
            var exit = await DaemonHost.RunAsync(configuration, logging => logging.AddSerilog(Log.Logger, dispose: false), cancellationToken: cancellationToken);
            return exit switch
            {
                DaemonExitCode.Success => ExitCodes.Success,
                DaemonExitCode.BadInput => ExitCodes.BadInput,
                _ => ExitCodes.Failed,
            };
        });
        return command;
    }

    private static bool TryParseSpeed(string text, out double speed)
    {
        if (string.Equals(text, "max", StringComparison.OrdinalIgnoreCase))
        {
            speed = 0;
            return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out speed) && speed >= 0 && double.IsFinite(speed);
    }
}
