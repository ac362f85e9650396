using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EegDann.Core;
using EegDann.Lsl;
using EegDann.Recordings;
using EegDann.Recordings.Parquet;
using Microsoft.Extensions.Configuration;
using Serilog;
using Spectre.Console;

namespace EegDann.Cli;

/// <summary>
/// <c>eegdann lsl list | record</c>: Lab Streaming Layer streams on this machine (or the known
/// peers of the <c>Lsl</c> settings), and a recording of one in EegDann's Parquet format.
/// </summary>
public static class LslCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("lsl", "Lab Streaming Layer (spoken in managed code, no liblsl needed): list the streams that answer, record one.");
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateRecord());
        return command;
    }

    /// <summary>The <c>Lsl</c> settings, validated; null (and the problems logged) when they are bad.</summary>
    internal static LslOptions? LoadOptions(ParseResult parse, IEnumerable<string> connect, double? timeoutSeconds)
    {
        var options = new LslOptions();
        try
        {
            EegDannCli.LoadConfiguration(parse).GetSection(LslOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType == typeof(ConfigurationBinder))
        {
            Log.Error("{Section}: {Problem}", LslOptions.SectionName, e.Message);
            return null;
        }

        options.Connect.AddRange(connect);
        if (timeoutSeconds is double seconds)
        {
            options.ResolveTimeoutSeconds = seconds;
        }

        var result = new LslOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            foreach (var failure in result.Failures!)
            {
                Log.Error("{Problem}", failure);
            }

            return null;
        }

        return options;
    }

    private static Command CreateList()
    {
        var json = new Option<bool>("--json") { Description = "Print the streams as a JSON array on stdout." };
        var connect = new Option<string[]>("--connect") { Description = "Also ask these outlets directly (HOST:PORT of their data port), skipping discovery.", AllowMultipleArgumentsPerToken = true };
        var timeout = new Option<double?>("--timeout") { Description = "Listen this long for replies, seconds (default: Lsl:ResolveTimeoutSeconds)." };
        var command = new Command("list", "List the LSL streams that answer a resolve query: name, type, channels, rate, format, source_id, host and ports.");
        command.Options.Add(json);
        command.Options.Add(connect);
        command.Options.Add(timeout);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = LoadOptions(parse, parse.GetValue(connect) ?? [], parse.GetValue(timeout));
            if (options is null)
            {
                return ExitCodes.BadInput;
            }

            var resolver = new LslResolver(options);
            var streams = await resolver.ResolveAsync(null, TimeSpan.FromSeconds(options.ResolveTimeoutSeconds), 0, cancellationToken);
            foreach (var failure in resolver.Failures)
            {
                Log.Debug("LSL query not delivered: {Failure}", failure);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(streams.Select(ToJson).ToList(), Json));
                return ExitCodes.Success;
            }

            if (streams.Count == 0)
            {
                Console.Out.WriteLine($"No LSL stream answered within {options.ResolveTimeoutSeconds:G3} s (scope {options.ResolveScope}, query port {options.MulticastPort}, ports {options.BasePort}–{options.BasePort + options.PortRange - 1} on 127.0.0.1{(options.KnownPeers.Count > 0 ? " and " + string.Join(", ", options.KnownPeers) : string.Empty)}).");
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("name", "type", "channels", "rate (Hz)", "format", "source_id", "host", "data port", "service port");
            foreach (var s in streams)
            {
                table.AddRow(
                    Markup.Escape(s.Name),
                    Markup.Escape(s.Type),
                    s.ChannelCount.ToString(CultureInfo.InvariantCulture),
                    s.IsRegular ? s.NominalSrate.ToString("G6", CultureInfo.InvariantCulture) : "irregular",
                    s.ChannelFormat.Name(),
                    Markup.Escape(s.SourceId),
                    Markup.Escape($"{s.Hostname} ({s.Address})"),
                    s.DataPort.ToString(CultureInfo.InvariantCulture),
                    s.ServicePort.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Dictionary<string, object?> ToJson(LslStreamInfo s) => new()
    {
        ["name"] = s.Name,
        ["type"] = s.Type,
        ["channel_count"] = s.ChannelCount,
        ["nominal_srate"] = s.NominalSrate,
        ["channel_format"] = s.ChannelFormat.Name(),
        ["source_id"] = s.SourceId,
        ["uid"] = s.Uid,
        ["session_id"] = s.SessionId,
        ["hostname"] = s.Hostname,
        ["address"] = s.Address?.ToString(),
        ["data_port"] = s.DataPort,
        ["service_port"] = s.ServicePort,
        ["version"] = s.Version,
    };

    private static Command CreateRecord()
    {
        var name = new Option<string>("--name") { Description = "The EEG stream's name.", Required = true };
        var type = new Option<string?>("--type") { Description = "Its type too (e.g. EEG)." };
        var markers = new Option<string?>("--markers") { Description = "A marker stream (by name) whose samples become the recording's events." };
        var duration = new Option<string>("--duration") { Description = "How long to record: 90s, 2m, 1500ms, or seconds.", Required = true };
        var output = new Option<FileInfo>("--out-file") { Description = "The recording's samples file, NAME.parquet (NAME.events.parquet and NAME.timestamps.parquet are written beside it).", Required = true }.WithDeprecatedAliases("record");
        var subject = new Option<string>("--subject") { Description = "Who is recorded.", DefaultValueFactory = _ => "lsl" };
        var connect = new Option<string[]>("--connect") { Description = "Ask these outlets directly (HOST:PORT of their data port).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("record", "Record an LSL stream (and optionally a marker stream as events) to a Parquet recording; LSL time stamps and time corrections go to NAME.timestamps.parquet and the metadata.");
        foreach (var option in new Option[] { name, type, markers, duration, output, subject, connect })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryParseDuration(parse.GetValue(duration)!, out var length))
            {
                Log.Error("--duration {Duration}: give a positive duration such as 90s, 2m or 1500ms", parse.GetValue(duration));
                return ExitCodes.BadInput;
            }

            var options = LoadOptions(parse, parse.GetValue(connect) ?? [], null);
            if (options is null)
            {
                return ExitCodes.BadInput;
            }

            string selectorText = "name=" + parse.GetValue(name) + (parse.GetValue(type) is { } t ? ";type=" + t : string.Empty);
            if (!LslStreamSelector.TryParse(selectorText, out var selector, out var problem)
                || (parse.GetValue(markers) is { } m && !LslStreamSelector.TryParse("name=" + m, out _, out problem)))
            {
                Log.Error("{Problem}", problem);
                return ExitCodes.BadInput;
            }

            var path = parse.GetValue(output)!.FullName;
            var recorder = new LslRecorder(options, selector!, parse.GetValue(markers) is { } markerName ? LslStreamSelector.ByName(markerName) : null, length);
            try
            {
                var result = await recorder.RecordAsync(path, parse.GetValue(subject)!, cancellationToken);
                Log.Information("Recorded {Samples} samples ({Seconds:F2} s) of {Stream} and {Events} events to {Path}", result.Samples, result.Seconds, result.Stream, result.Events, path);
                // A marker stream that failed is a bad input beside an EEG recording that succeeded.
                return result.Samples == 0 ? ExitCodes.Failed : result.MarkersLost is null ? ExitCodes.Success : ExitCodes.BadInput;
            }
            catch (Exception e) when (e is LslProtocolException or IOException or RecordingFormatException or UnauthorizedAccessException)
            {
                Log.Error("{Problem}", e.Message);
                return ExitCodes.BadInput;
            }
        });
        return command;
    }

    /// <summary>Parses <c>90s</c>, <c>2m</c>, <c>1500ms</c>, <c>1h</c> or plain seconds.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || !double.IsFinite(value * scale))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}

/// <summary>What <see cref="LslRecorder"/> wrote.</summary>
internal sealed record LslRecordingResult(string Stream, long Samples, double Seconds, int Events)
{
    /// <summary>Why the marker stream's reader failed, when it did (the markers before it are recorded); null otherwise.</summary>
    public string? MarkersLost { get; init; }
}

/// <summary>
/// Records one LSL stream for a while into EegDann's Parquet recording: values in µV (scaled from
/// the outlet's unit), channel labels from its full info; marker samples as events at the EEG
/// sample whose corrected time stamp is nearest; per-sample LSL stamps and corrections beside it.
/// </summary>
/// <remarks>
/// The samples go to disk as they arrive (<see cref="RecordingPartWriter"/>: <c>NAME.parquet.part</c>,
/// one durable row group at a time), so memory does not grow with the recording's values and a crash,
/// <c>kill -9</c> or power cut keeps every row group that reached the disk, with the events placed so
/// far, and the time stamps of those samples (<c>NAME.timestamps.spill</c>): <c>eegdann recover
/// NAME.parquet.part</c> completes all three files. At the end the spill becomes the time stamps file and the
/// part file becomes <c>NAME.parquet</c>; what the recorder holds does not grow with the recording. Row groups are 5 s long, longer when <c>--duration</c> would give a file of
/// more than <see cref="MaxRowGroups"/> of them (each commit rewrites the footer, which lists them all).
/// </remarks>
internal sealed class LslRecorder(LslOptions options, LslStreamSelector eeg, LslStreamSelector? markers, TimeSpan duration)
{
    /// <summary>The most row groups a recording is planned with (about an hour at 5 s; a day at 2 minutes).</summary>
    internal const int MaxRowGroups = 720;

    public async Task<LslRecordingResult> RecordAsync(string path, string subject, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} already exists; lsl record never overwrites a recording (choose another --out-file, or move that one away).");
        }

        if (File.Exists(path + RecordingPartWriter.PartSuffix))
        {
            throw new IOException($"{path + RecordingPartWriter.PartSuffix} is a recording that did not finish: complete it with 'eegdann recover {path + RecordingPartWriter.PartSuffix}' (or move it away) before recording to {path} again.");
        }

        if (File.Exists(SampleTimestampsSpill.PathFor(path)))
        {
            throw new IOException($"{SampleTimestampsSpill.PathFor(path)} holds the time stamps of a recording that did not finish (recover its part file, or move it away) before recording to {path} again.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var follower = new LslStreamFollower(options, eeg, line => Log.Information("{Line}", line));
        var markerStamps = new List<(double Stamp, double Correction, string Label)>();
        var markerTask = markers is null ? Task.CompletedTask : CollectMarkersAsync(markers, markerStamps, stop.Token);
        var recording = new StreamingRecording(path, subject, markerStamps);
        try
        {
            return await RecordAsync(follower, recording, markerTask, stop, cancellationToken);
        }
        finally
        {
            // Whatever ended the recording, the marker reader ends with it, and a part file that was not
            // completed is closed (kept for 'eegdann recover' when it holds samples, else removed).
            await stop.CancelAsync();
            await Task.WhenAny(markerTask);
            await recording.DisposeAsync();
        }
    }

    private async Task<LslRecordingResult> RecordAsync(LslStreamFollower follower, StreamingRecording recording, Task markerTask, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        LslConnected? connected = null;
        LslProtocolException? endedBy = null;
        bool interrupted = false;
        try
        {
            await foreach (var e in follower.ReadAsync(stop.Token))
            {
                switch (e)
                {
                    case LslConnected c when connected is null:
                        if (c.Info.ChannelFormat == LslChannelFormat.String || !c.Info.IsRegular)
                        {
                            throw new LslProtocolException($"LSL stream {c.Info}: only regular numeric streams can be recorded as EEG (use --markers for marker streams)");
                        }

                        connected = c;
                        await recording.StartAsync(c, markers, PlannedSamples(c.Info.NominalSrate), CancellationToken.None);
                        break;
                    case LslConnected c when c.Info.ChannelCount != connected.Info.ChannelCount || c.Info.NominalSrate != connected.Info.NominalSrate:
                        // What came before is kept (completed below); the error is reported after it.
                        endedBy = new LslProtocolException($"LSL stream {c.Info} came back with another shape than {connected.Info}; the recording stopped there");
                        break;
                    case LslSamples s when s.Strings is null:
                        // Not cancellable: a row group being made durable is finished even when the recording is stopped.
                        await recording.AppendAsync(s, CancellationToken.None);
                        break;
                }

                if (endedBy is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The duration is over, or SIGTERM / Ctrl-C: either ends the recording, and what was
            // received is written (stopping a recorder must not throw its recording away).
            interrupted = cancellationToken.IsCancellationRequested;
        }

        await stop.CancelAsync();
        string? markersLost = null;
        try
        {
            await markerTask;
        }
        catch (Exception e) when (e is LslProtocolException or LslStreamLostException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            markersLost = e.Message;
        }

        if (interrupted && (connected is null || recording.Samples == 0))
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (connected is null)
        {
            throw new LslProtocolException($"no LSL stream {eeg} answered within {duration.TotalSeconds:G4} s");
        }

        if (recording.Samples == 0)
        {
            Log.Warning("LSL stream {Stream} sent no samples in {Seconds:G4} s; nothing written", connected.Info.Name, duration.TotalSeconds);
            return new LslRecordingResult(connected.Info.Name, 0, 0, 0);
        }

        if (interrupted)
        {
            Log.Warning("Stopped by SIGTERM or Ctrl-C after {Seconds:F1} s of {Stream}; writing the {Samples} samples received", recording.Samples / connected.Info.NominalSrate, connected.Info.Name, recording.Samples);
        }

        if (markersLost is not null)
        {
            Log.Error("The marker stream's reader failed ({Problem}); the markers received before are written, later ones are lost", markersLost);
        }

        if (recording.MissingSamples > 0)
        {
            Log.Warning("LSL stream {Stream}: {Missing} samples were lost (outlet queue full or reconnects); the recording closes the gaps, the time stamps file keeps the true times", connected.Info.Name, recording.MissingSamples);
        }

        // Not cancellable: after SIGTERM or Ctrl-C this is what stopping does.
        int events = await recording.CompleteAsync(follower.DroppedSamples, CancellationToken.None);
        if (endedBy is not null)
        {
            throw new LslProtocolException($"{endedBy.Message}; the {recording.Samples} samples received before it are in {recording.Path}", endedBy);
        }

        return new LslRecordingResult(connected.Info.Name, recording.Samples, recording.Samples / connected.Info.NominalSrate, events) { MarkersLost = markersLost };
    }

    /// <summary>The samples <c>--duration</c> gives at the nominal rate (it sets the row groups' length; a stream that sends more is recorded whole).</summary>
    private long PlannedSamples(double rate) => (long)Math.Ceiling(duration.TotalSeconds * rate);

    private async Task CollectMarkersAsync(LslStreamSelector selector, List<(double, double, string)> into, CancellationToken cancellationToken)
    {
        var follower = new LslStreamFollower(options, selector, line => Log.Information("{Line}", line));
        try
        {
            await foreach (var e in follower.ReadAsync(cancellationToken))
            {
                if (e is LslSamples s)
                {
                    for (int k = 0; k < s.Count; k++)
                    {
                        string label = s.Strings != null ? s.Strings[k * (s.Strings.Length / s.Count)] : s.Values[k * (s.Values.Length / s.Count)].ToString(CultureInfo.InvariantCulture);
                        lock (into)
                        {
                            into.Add((s.Timestamps[k], s.TimeCorrection?.Correction ?? double.NaN, label));
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The duration is over.
        }
    }
}

/// <summary>
/// One <c>lsl record</c> on disk as it arrives: the part file and its row groups, the time stamps in
/// their spill (durable before the row group that follows them), and each marker placed as an event at the EEG sample whose corrected
/// time stamp is nearest (once the EEG has reached it; markers outside the recording are left out).
/// </summary>
internal sealed class StreamingRecording(string path, string subject, List<(double Stamp, double Correction, string Label)> markerStamps) : IAsyncDisposable
{
    private RecordingPartWriter? writer;
    private SampleTimestampsSpill? spill;
    private (double Stamp, double Correction) firstStamp;
    private (double Stamp, double Correction) lastStamp;
    private double lastKnownCorrection = double.NaN;
    private long samplesReceived;
    private RecordingMetadata? metadata;
    private Dictionary<string, string>? extra;
    private long firstIndex = -1;
    private long lastIndex = -1;
    private int placedMarkers;
    private int events;
    private bool completed;

    /// <summary>The samples file.</summary>
    public string Path => path;

    /// <summary>Samples received (and written or buffered).</summary>
    public long Samples => samplesReceived;

    /// <summary>Stream indices skipped between the first and the last sample received (lost by the outlet or in reconnects).</summary>
    public long MissingSamples => Samples == 0 ? 0 : lastIndex - firstIndex + 1 - Samples;

    private double Rate => writer!.Info.SampleRateHz;

    /// <summary>Starts the part file for the stream <paramref name="connected"/>.</summary>
    public async Task StartAsync(LslConnected connected, LslStreamSelector? markers, long plannedSamples, CancellationToken cancellationToken)
    {
        var info = new SignalInfo(connected.Info.NominalSrate, connected.Labels);
        extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lsl.name"] = connected.Info.Name,
            ["lsl.type"] = connected.Info.Type,
            ["lsl.source_id"] = connected.Info.SourceId,
            ["lsl.uid"] = connected.Info.Uid,
            ["lsl.hostname"] = connected.Info.Hostname,
            ["lsl.channel_format"] = connected.Info.ChannelFormat.Name(),
            ["lsl.channel_units"] = string.Join(",", connected.Units),
            ["lsl.timestamps_file"] = System.IO.Path.GetFileName(SampleTimestampsParquet.PathFor(path)),
        };
        if (markers != null)
        {
            extra["lsl.markers"] = markers.ToString();
        }

        metadata = new RecordingMetadata
        {
            Subject = subject,
            Session = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture),
            SourceFile = $"lsl:{connected.Info.Name}",
            OriginalChannelLabels = connected.Labels,
            ChannelUnits = connected.MicrovoltsPerUnit.Select((f, c) => f is null ? connected.Units[c] : "uV").ToArray(),
            Extra = new Dictionary<string, string>(extra, StringComparer.Ordinal),
        };

        // The file itself is not bounded: an outlet that sends faster than its nominal rate is recorded whole (its commits just grow).
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        writer = await RecordingPartWriter.CreateAsync(path, info, metadata, RowGroupSeconds(info.SampleRateHz, info.ChannelCount, plannedSamples), int.MaxValue, cancellationToken);
        spill = SampleTimestampsSpill.Create(path);

        // The time stamps of a row group's samples are on the disk before the row group is.
        writer.BeforeCommit = spill.Flush;
    }

    /// <summary>The most values a row group buffers (64 MB of float32): what an outlet's declared rate and channel count can make the recorder allocate.</summary>
    internal const int MaxRowGroupValues = 1 << 24;

    /// <summary>
    /// Seconds per row group: 5 s (the most a crash loses), longer when the planned samples would make the footer that
    /// every commit rewrites list more than <see cref="LslRecorder.MaxRowGroups"/> of them, and shorter when the row
    /// group's buffer would hold more than <see cref="MaxRowGroupValues"/> values (a stream declaring 10^9 Hz or
    /// thousands of channels allocates that much at most, not gigabytes before its first sample).
    /// </summary>
    internal static double RowGroupSeconds(double rate, int channels, long plannedSamples)
    {
        double seconds = Math.Max(ParquetRecordingWriter.DefaultRowGroupSeconds, plannedSamples / rate / LslRecorder.MaxRowGroups);
        double bounded = Math.Max(1, MaxRowGroupValues / channels) / rate;
        return Math.Min(seconds, bounded);
    }

    /// <summary>Appends the samples (closing any gap in the stream's indices) and places the markers they reach.</summary>
    public async Task AppendAsync(LslSamples samples, CancellationToken cancellationToken)
    {
        int channels = writer!.Info.ChannelCount, take = samples.Count;
        if (take == 0)
        {
            return;
        }

        if (firstIndex < 0)
        {
            firstIndex = samples.FirstIndex;
        }

        lastIndex = samples.FirstIndex + take - 1;
        double correction = samples.TimeCorrection?.Correction ?? double.NaN;
        for (int k = 0; k < take; k++)
        {
            spill!.Append(samples.Timestamps[k], correction);
        }

        if (samplesReceived == 0)
        {
            firstStamp = (samples.Timestamps[0], correction);
        }

        lastStamp = (samples.Timestamps[take - 1], correction);
        lastKnownCorrection = double.IsFinite(correction) ? correction : lastKnownCorrection;
        samplesReceived += take;
        // Placed before the samples go in, so that the row group they may complete carries the events.
        PlaceMarkers(final: false);
        await writer.AppendInterleavedAsync(writer.NextSample, samples.Values.AsMemory(0, take * channels), cancellationToken);
    }

    /// <summary>Writes the time stamps file, then completes the samples file (the events file beside it); returns the events written.</summary>
    public async Task<int> CompleteAsync(long droppedSamples, CancellationToken cancellationToken)
    {
        PlaceMarkers(final: true);
        var all = new Dictionary<string, string>(extra!, StringComparer.Ordinal)
        {
            ["lsl.first_timestamp_s"] = firstStamp.Stamp.ToString("R", CultureInfo.InvariantCulture),
            ["lsl.last_timestamp_s"] = lastStamp.Stamp.ToString("R", CultureInfo.InvariantCulture),
            ["lsl.time_correction_s"] = double.IsFinite(lastKnownCorrection) ? lastKnownCorrection.ToString("R", CultureInfo.InvariantCulture) : "unknown",
            ["lsl.dropped_samples"] = droppedSamples.ToString(CultureInfo.InvariantCulture),
        };
        spill!.Flush();
        writer!.BeforeCommit = null;
        spill.Dispose();
        await SampleTimestampsSpill.ToParquetAsync(spill.Path, SampleTimestampsParquet.PathFor(path), samplesReceived, all, cancellationToken);
        await writer!.CompleteAsync(metadata! with { Extra = all }, cancellationToken);
        completed = true;
        return events;
    }

    /// <summary>
    /// Places the markers received so far, in order, at the EEG sample whose corrected stamp is nearest; a marker
    /// beyond the last sample waits for more EEG (unless <paramref name="final"/>, when it is left out, as one before the first sample is).
    /// </summary>
    private void PlaceMarkers(bool final)
    {
        if (samplesReceived == 0)
        {
            return;
        }

        double Local(double stamp, double correction) => stamp + (double.IsFinite(correction) ? correction : 0);
        double rate = Rate, first = Local(firstStamp.Stamp, firstStamp.Correction), last = Local(lastStamp.Stamp, lastStamp.Correction);
        lock (markerStamps)
        {
            for (; placedMarkers < markerStamps.Count; placedMarkers++)
            {
                var (stamp, correction, label) = markerStamps[placedMarkers];
                double at = Local(stamp, correction);
                if (at > last + (0.5 / rate) && !final)
                {
                    return;
                }

                if (at < first - (0.5 / rate) || at > last + (0.5 / rate))
                {
                    continue;
                }

                long sample = (long)Math.Round((at - first) * rate);
                writer!.AddEvent(new RecordingEvent(sample / rate, 0, label, sample));
                events++;
            }
        }
    }

    /// <summary>A recording that was not completed keeps its part file for <c>eegdann recover</c> when it holds samples; an empty one is removed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (writer is null || completed)
        {
            return;
        }

        await writer.DisposeAsync();
        spill?.Dispose();
        if (writer.DurableSamples == 0)
        {
            File.Delete(writer.PartPath);
            File.Delete(writer.StatePath);
            if (spill is not null)
            {
                File.Delete(spill.Path);
            }
        }
        else
        {
            Log.Error("The recording did not complete; its first {Samples} samples (and their time stamps) are on disk in {Part}: 'eegdann recover {Part}' makes it {Path}", writer.DurableSamples, writer.PartPath, writer.PartPath, path);
        }
    }
}
