using System.Globalization;
using EegDann.FakeLslOutlet;
using EegDann.Recordings.Parquet;

// A dev tool around the test double (see docs/protocols.md, "Lab Streaming Layer"): serves a captured
// liblsl stream or a Parquet recording (its events as a marker stream) on the real LSL ports, so
// `eegdann lsl list`, `eegdann lsl record` and `eegdann daemon --lsl` can be tried without liblsl.
//   capture NAME [--query-port 16571] [--base-port 16572] [--captures FILE]
//   recording FILE.parquet [--name NAME] [--markers NAME] [--speed X] [--loop] [--query-port P] [--base-port P]
var arguments = args.ToList();
string? Option(string name, string? fallback)
{
    int i = arguments.IndexOf(name);
    return i >= 0 && i + 1 < arguments.Count ? arguments[i + 1] : fallback;
}

int queryPort = int.Parse(Option("--query-port", "16571")!, CultureInfo.InvariantCulture);
int basePort = int.Parse(Option("--base-port", "16572")!, CultureInfo.InvariantCulture);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

if (arguments.Count >= 2 && arguments[0] == "capture")
{
    string file = Option("--captures", null) ?? FindCaptures();
    var scenario = LslCaptures.Load(file).Get(arguments[1]);
    await using var outlet = FakeOutlet.FromCapture(scenario, queryPort, basePort);
    Console.WriteLine($"fake LSL outlet (test double) serving the liblsl capture '{scenario.Name}' as {outlet.Info}; service port {outlet.ServicePort}; Ctrl-C stops");
    await WaitAsync(stop.Token);
    return 0;
}

if (arguments.Count >= 2 && arguments[0] == "recording")
{
    var recording = await ParquetRecordingReader.ReadAsync(arguments[1]);
    string name = Option("--name", Path.GetFileNameWithoutExtension(arguments[1]))!;
    string? markersName = Option("--markers", null);
    double speed = double.Parse(Option("--speed", "1")!, CultureInfo.InvariantCulture);
    await using var eeg = FakeOutlet.Start(RecordingStreamer.EegSettings(recording, name, queryPort, basePort));
    await using var markers = markersName is null ? null : FakeOutlet.Start(RecordingStreamer.MarkerSettings(markersName, queryPort, basePort));
    Console.WriteLine($"fake LSL outlet (test double) streaming {arguments[1]} as {eeg.Info}" + (markers is null ? string.Empty : $" and its events as {markers.Info}"));
    try
    {
        do
        {
            await RecordingStreamer.StreamAsync(recording, eeg, markers, speed, 8, stop.Token);
        }
        while (arguments.Contains("--loop"));
        await WaitAsync(stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Ctrl-C.
    }

    return 0;
}

Console.Error.WriteLine("usage: capture NAME [--query-port P] [--base-port P] | recording FILE.parquet [--name NAME] [--markers NAME] [--speed X] [--loop]");
return 2;

static async Task WaitAsync(CancellationToken token)
{
    try
    {
        await Task.Delay(Timeout.Infinite, token);
    }
    catch (OperationCanceledException)
    {
        // Ctrl-C.
    }
}

static string FindCaptures()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "tests", "data", "lsl", "liblsl-1.17.5-captures.json");
        if (File.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new FileNotFoundException("tests/data/lsl/liblsl-1.17.5-captures.json not found above the tool; pass --captures FILE");
}
