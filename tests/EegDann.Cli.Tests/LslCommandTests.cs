using System.Globalization;
using System.Text.Json;
using EegDann.FakeLslOutlet;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using static EegDann.TestSupport.LoopbackPorts;

namespace EegDann.Cli.Tests;

/// <summary>
/// <c>eegdann lsl list</c> and <c>lsl record</c> as a user runs them, against a fake outlet that
/// serves the liblsl capture of the float32 8-channel stream (and generated streams for markers).
/// </summary>
public sealed class LslCommandTests
{
    private static readonly Lazy<LslCaptures> Captures = new(() => LslCaptures.Load(TestData.TestDataFile("lsl", "liblsl-1.17.5-captures.json")));

    [Fact]
    public async Task ListFindsAFakeOutletServingTheFloat32EightChannelCapture()
    {
        await using var outlet = FakeOutlet.FromCapture(Captures.Value.Get("CapF32"));
        var run = await EegDannProcess.RunAsync(["lsl", "list", "--json"], Environment(outlet));
        Assert.True(run.ExitCode == 0, run.StdErr);
        var stream = Assert.Single(JsonDocument.Parse(run.StdOut).RootElement.EnumerateArray());
        Assert.Equal("CapF32", stream.GetProperty("name").GetString());
        Assert.Equal("EEG", stream.GetProperty("type").GetString());
        Assert.Equal(8, stream.GetProperty("channel_count").GetInt32());
        Assert.Equal(250, stream.GetProperty("nominal_srate").GetDouble());
        Assert.Equal("float32", stream.GetProperty("channel_format").GetString());
        Assert.Equal("CapF32_src", stream.GetProperty("source_id").GetString());
        Assert.Equal("127.0.0.1", stream.GetProperty("address").GetString());
        Assert.Equal(outlet.DataPort, stream.GetProperty("data_port").GetInt32());
        Assert.Equal(outlet.ServicePort, stream.GetProperty("service_port").GetInt32());

        var table = await EegDannProcess.RunAsync(["lsl", "list"], Environment(outlet));
        Assert.Contains("CapF32", table.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordWritesTheTwentyCapturedSamplesWithTheirValuesAndLslTimeStamps()
    {
        await using var outlet = FakeOutlet.FromCapture(Captures.Value.Get("CapF32"));
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("X.parquet");
        var run = await EegDannProcess.RunAsync(["lsl", "record", "--name", "CapF32", "--duration", "3s", "--out-file", path], Environment(outlet));
        Assert.True(run.ExitCode == 0, run.StdErr);

        var recording = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(250, recording.Info.SampleRateHz);
        Assert.Equal(["Ch1", "Ch2", "Ch3", "Ch4", "Ch5", "Ch6", "Ch7", "Ch8"], recording.Info.Channels);
        Assert.Equal(20, recording.SampleCount);
        for (int k = 0; k < 20; k++)
        {
            for (int c = 0; c < 8; c++)
            {
                Assert.Equal((k * 100) + c + 0.5f, recording.Samples[c][k]);
            }
        }

        var (samples, stamps, corrections, metadata) = await SampleTimestampsParquet.ReadAsync(SampleTimestampsParquet.PathFor(path));
        Assert.Equal(Enumerable.Range(0, 20).Select(k => (long)k), samples);
        Assert.Equal(Enumerable.Range(0, 20).Select(k => 1000 + (k / 250.0)), stamps);
        Assert.Equal(20, corrections.Length);
        Assert.Equal("CapF32_src", metadata["lsl.source_id"]);
        Assert.Equal("54e4a74c-446e-47aa-982b-dc0201242079", recording.Metadata.Extra["lsl.uid"]);
        Assert.Equal("1000", recording.Metadata.Extra["lsl.first_timestamp_s"]);
        Assert.Equal("X.timestamps.parquet", recording.Metadata.Extra["lsl.timestamps_file"]);
    }

    [Fact]
    public async Task RecordTurnsAMarkerStreamIntoEventsAtTheirSamples()
    {
        int basePort = FreePortRange(2);
        await using var eeg = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", ChannelCount = 2, NominalSrate = 100, SourceId = "amp", ChannelLabels = ["C3", "C4"], ChannelUnit = "millivolts", BasePort = basePort, PortRange = 2 });
        await using var markers = FakeOutlet.Start(new FakeOutletSettings { Name = "Cues", Type = "Markers", Format = EegDann.Lsl.LslChannelFormat.String, NominalSrate = 0, SourceId = "cues", BasePort = basePort, PortRange = 2 });
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("cued.parquet");
        var environment = Environment(FreeUdpPort(), basePort, 2);
        var recording = EegDannProcess.RunAsync(["lsl", "record", "--name", "Amp", "--type", "EEG", "--markers", "Cues", "--duration", "25s", "--out-file", path], environment);
        for (int i = 0; i < 2000 && (eeg.Consumers == 0 || markers.Consumers == 0); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(eeg.Consumers == 1 && markers.Consumers == 1, "the recorder did not connect to both outlets");
        double start = 5000;
        for (int k = 0; k < 100; k++)
        {
            eeg.Push([k / 1000.0, -k / 1000.0], k % 10 == 0 ? start + (k / 100.0) : null);
            if (k is 20 or 70)
            {
                markers.PushStrings([k == 20 ? "T1" : "T2"], start + (k / 100.0));
            }
        }

        var run = await recording;
        Assert.True(run.ExitCode == 0, run.StdErr);
        var written = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(["C3", "C4"], written.Info.Channels);
        Assert.Equal(100, written.SampleCount);
        Assert.Equal(70f, written.Samples[0][70], 3);
        Assert.Equal(["uV", "uV"], written.Metadata.ChannelUnits);
        Assert.Equal([("T1", 20L), ("T2", 70L)], written.Events.Select(e => (e.Label, e.Sample)));
    }

    [Fact]
    public Task SigtermEndsARecordingEarlyAndWritesWhatWasReceived() => EndsEarlyAndWritesWhatWasReceivedAsync("TERM");

    [CtrlCFact]
    public Task CtrlCEndsARecordingEarlyAndWritesWhatWasReceived() => EndsEarlyAndWritesWhatWasReceivedAsync("INT");

    private static async Task EndsEarlyAndWritesWhatWasReceivedAsync(string signal)
    {
        await using var eeg = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", ChannelCount = 2, NominalSrate = 100, SourceId = "amp", ChannelLabels = ["C3", "C4"], BasePort = FreePortRange(1), PortRange = 1 });
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("stopped.parquet");
        var run = await EegDannProcess.RunAndSignalAsync(
            ["lsl", "record", "--name", "Amp", "--duration", "10m", "--out-file", path],
            when: "LSL stream connected",
            signal: signal,
            Environment(eeg),
            async () =>
            {
                for (int k = 0; k < 150; k++)
                {
                    eeg.Push([k, -k], k % 10 == 0 ? 7000 + (k / 100.0) : null);
                }

                // Delivered over loopback at once; the wait covers a loaded machine.
                await Task.Delay(3000);
            });

        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("Stopped by SIGTERM or Ctrl-C after 1.5 s of Amp; writing the 150 samples received", run.StdErr, StringComparison.Ordinal);
        var written = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(150, written.SampleCount);
        Assert.Equal(149f, written.Samples[0][149]);
        Assert.True(File.Exists(SampleTimestampsParquet.PathFor(path)));
    }

    [Fact]
    public async Task AStreamThatComesBackWithAnotherShapeEndsTheRecordingKeepingWhatCameBefore()
    {
        int basePort = FreePortRange(2);
        var before = new FakeOutletSettings { Name = "Amp", ChannelCount = 2, NominalSrate = 100, SourceId = "amp", ChannelLabels = ["C3", "C4"], BasePort = basePort, PortRange = 2 };
        var first = FakeOutlet.Start(before);
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("reshaped.parquet");
        var recording = EegDannProcess.RunAsync(["lsl", "record", "--name", "Amp", "--duration", "90s", "--out-file", path], Environment(FreeUdpPort(), basePort, 2));
        for (int i = 0; i < 2000 && first.Consumers == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, first.Consumers);
        for (int k = 0; k < 50; k++)
        {
            first.Push([k, -k], k % 10 == 0 ? 9000 + (k / 100.0) : null);
        }

        await Task.Delay(2000);

        // The amplifier restarts with a third channel.
        await first.DisposeAsync();
        await using var second = FakeOutlet.Start(before with { ChannelCount = 3, ChannelLabels = ["C3", "C4", "Cz"] });
        var run = await recording;

        Assert.True(run.ExitCode == 2, run.StdErr);
        Assert.Contains("came back with another shape", run.StdErr, StringComparison.Ordinal);
        Assert.Contains($"the 50 samples received before it are in {path}", run.StdErr, StringComparison.Ordinal);
        var written = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(["C3", "C4"], written.Info.Channels);
        Assert.Equal(50, written.SampleCount);
        Assert.Equal(49f, written.Samples[0][49]);
    }

    [Fact]
    public async Task AFailingMarkerReaderKeepsTheEegAndExitsWithBadInput()
    {
        int basePort = FreePortRange(2);
        await using var eeg = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", ChannelCount = 2, NominalSrate = 100, SourceId = "amp", ChannelLabels = ["C3", "C4"], BasePort = basePort, PortRange = 2 });

        // Answers the feed request with protocol 1.00 (liblsl after a Value-Size mismatch): the inlet refuses it.
        await using var cues = FakeOutlet.Start(new FakeOutletSettings { Name = "CapDown", ChannelCount = 2, NominalSrate = 100, SourceId = "CapDown_src", Capture = Captures.Value.Get("CapDown"), BasePort = basePort, PortRange = 2 });
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("nocues.parquet");
        var recording = EegDannProcess.RunAsync(["lsl", "record", "--name", "Amp", "--markers", "CapDown", "--duration", "6s", "--out-file", path], Environment(FreeUdpPort(), basePort, 2));
        for (int i = 0; i < 2000 && eeg.Consumers == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, eeg.Consumers);
        for (int k = 0; k < 40; k++)
        {
            eeg.Push([k, -k], k % 10 == 0 ? 3000 + (k / 100.0) : null);
        }

        var run = await recording;
        Assert.True(run.ExitCode == ExitCodes.BadInput, run.StdErr);
        Assert.Contains("The marker stream's reader failed", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("protocol 1.00", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(40, (await ParquetRecordingReader.ReadAsync(path)).SampleCount);
    }

    [Fact]
    public async Task AKilledRecordingKeepsItsDurableRowGroupsAndEventsForRecover()
    {
        // kill -9 (or a crash, or a power cut) in the middle of a recording: the samples were on disk as they came,
        // 5 s row groups of 500 samples at 100 Hz, with the markers placed among them; 'recover' completes the file.
        int basePort = FreePortRange(2);
        await using var eeg = FakeOutlet.Start(new FakeOutletSettings { Name = "Amp", ChannelCount = 2, NominalSrate = 100, SourceId = "amp", ChannelLabels = ["C3", "C4"], BasePort = basePort, PortRange = 2 });
        await using var markers = FakeOutlet.Start(new FakeOutletSettings { Name = "Cues", Type = "Markers", Format = EegDann.Lsl.LslChannelFormat.String, NominalSrate = 0, SourceId = "cues", BasePort = basePort, PortRange = 2 });
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("killed.parquet");
        var run = await EegDannProcess.RunAndSignalAsync(
            ["lsl", "record", "--name", "Amp", "--markers", "Cues", "--duration", "10m", "--out-file", path],
            when: "LSL stream connected",
            signal: "KILL",
            Environment(FreeUdpPort(), basePort, 2),
            async () =>
            {
                for (int i = 0; i < 2000 && markers.Consumers == 0; i++)
                {
                    await Task.Delay(10);
                }

                Assert.Equal(1, markers.Consumers);
                for (int k = 0; k < 1250; k++)
                {
                    eeg.Push([k, -k], k % 10 == 0 ? 4000 + (k / 100.0) : null);
                    if (k is 100 or 700 or 1200)
                    {
                        markers.PushStrings(["T" + k], 4000 + (k / 100.0));

                        // The marker stream is a connection of its own: a marker is placed once it has arrived and saved
                        // with the next row group made durable, so give it time to arrive before the EEG goes on to the
                        // end of its row group. (The 1 s of silence that follows on the marker stream is no loss: the recorder
                        // keeps a silent connection while its outlet answers.)
                        await Task.Delay(500);
                    }

                    if (k % 50 == 49)
                    {
                        // Within the 2 s (200 samples) the recorder asks the outlet to buffer for it.
                        await Task.Delay(20);
                    }
                }

                // Delivered over loopback at once; the wait covers a loaded machine.
                await Task.Delay(4000);
            });

        Assert.NotEqual(0, run.ExitCode);
        Assert.False(File.Exists(path));
        string part = path + RecordingPartWriter.PartSuffix;
        Assert.True(File.Exists(part), "nothing of the killed recording is on disk");

        var recovered = await EegDannProcess.RunAsync(["recover", part]);
        Assert.True(recovered.ExitCode == 0, recovered.StdErr);
        var written = await ParquetRecordingReader.ReadAsync(path);
        Assert.Equal(["C3", "C4"], written.Info.Channels);
        Assert.Equal(1000, written.SampleCount);
        for (int k = 0; k < 1000; k++)
        {
            Assert.Equal(k, written.Samples[0][k]);
            Assert.Equal(-k, written.Samples[1][k]);
        }

        // The markers at samples 100 and 700 were placed before the second row group was made durable; the one at 1200 was not.
        Assert.Equal([("T100", 100L), ("T700", 700L)], written.Events.Select(e => (e.Label, e.Sample)));
        Assert.Equal("amp", written.Metadata.Extra["lsl.source_id"]);

        // And the LSL time stamps of those 1000 samples (every tenth pushed with its stamp, the others at the nominal rate).
        var (samples, stamps, _, metadata) = await SampleTimestampsParquet.ReadAsync(SampleTimestampsParquet.PathFor(path));
        Assert.Equal(Enumerable.Range(0, 1000).Select(k => (long)k), samples);
        for (int k = 0; k < 1000; k++)
        {
            Assert.Equal(4000 + (k / 100.0), stamps[k], 9);
        }

        Assert.Equal("amp", metadata["lsl.source_id"]);
        Assert.False(File.Exists(SampleTimestampsSpill.PathFor(path)));
    }

    [Fact]
    public async Task RecordNeverOverwritesARecordingOrAnUnfinishedOne()
    {
        await using var outlet = FakeOutlet.FromCapture(Captures.Value.Get("CapF32"));
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("X.parquet");
        await File.WriteAllTextAsync(path, "an earlier recording");
        var run = await EegDannProcess.RunAsync(["lsl", "record", "--name", "CapF32", "--duration", "2s", "--out-file", path], Environment(outlet));
        Assert.True(run.ExitCode == 2, run.StdErr);
        Assert.Contains($"{path} already exists; lsl record never overwrites a recording", run.StdErr, StringComparison.Ordinal);
        Assert.Equal("an earlier recording", await File.ReadAllTextAsync(path));

        File.Move(path, path + RecordingPartWriter.PartSuffix);
        run = await EegDannProcess.RunAsync(["lsl", "record", "--name", "CapF32", "--duration", "2s", "--out-file", path], Environment(outlet));
        Assert.True(run.ExitCode == 2, run.StdErr);
        Assert.Contains($"'eegdann recover {path}{RecordingPartWriter.PartSuffix}'", run.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(160, 64, 600, 800)] // 10 minutes of 64 channels at 160 Hz: 5 s row groups
    [InlineData(160, 64, 86400, 19200)] // a day: 2-minute row groups, 720 in the file
    [InlineData(1e9, 64, 60, 262144)] // an outlet declaring 10^9 Hz: the buffer stays at 2^24 values, not 5·10^9 samples × 64
    [InlineData(250, 100000, 60, 167)] // 100 000 channels
    public void RowGroupsAreBoundedByTheFilesLengthAndByTheirBuffer(double rate, int channels, double seconds, int rows)
    {
        double rowSeconds = StreamingRecording.RowGroupSeconds(rate, channels, (long)(seconds * rate));
        int got = ParquetRecordingWriter.RowsPerGroup(rate, rowSeconds);
        Assert.Equal(rows, got);
        Assert.True((long)got * channels <= StreamingRecording.MaxRowGroupValues);
    }

    [Fact]
    public async Task BadLslSettingsAreRefusedNamingTheSetting()
    {
        var run = await EegDannProcess.RunAsync(["lsl", "list"], new Dictionary<string, string> { ["EEGDANN_Lsl__KnownPeers__0"] = "10.1.2.3" });
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Lsl:KnownPeers: 10.1.2.3 is not a loopback address", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnLslSettingThatIsNotANumberIsRefusedNamingTheKey()
    {
        var run = await EegDannProcess.RunAsync(["lsl", "list"], new Dictionary<string, string> { ["EEGDANN_Lsl__ResolveTimeoutSeconds"] = "soon" });
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Lsl:ResolveTimeoutSeconds", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordingAStreamThatNobodyServesFailsWithAClearMessageAndWritesNothing()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("none.parquet");
        var run = await EegDannProcess.RunAsync(["lsl", "record", "--name", "Nobody", "--duration", "1s", "--out-file", path], Environment(FreeUdpPort(), FreeUdpPort(), 1));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no LSL stream name=Nobody answered", run.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private static Dictionary<string, string> Environment(FakeOutlet outlet) => Environment(FreeUdpPort(), outlet.ServicePort, 1);

    private static Dictionary<string, string> Environment(int queryPort, int basePort, int range) => new()
    {
        ["EEGDANN_Lsl__MulticastPort"] = queryPort.ToString(CultureInfo.InvariantCulture),
        ["EEGDANN_Lsl__BasePort"] = basePort.ToString(CultureInfo.InvariantCulture),
        ["EEGDANN_Lsl__PortRange"] = range.ToString(CultureInfo.InvariantCulture),
        ["EEGDANN_Lsl__ResolveTimeoutSeconds"] = "1",
        ["EEGDANN_Lsl__ResolveWaveMilliseconds"] = "100",
    };
}

/// <summary>
/// A test of Ctrl-C (SIGINT) sent to the tool: skipped, with the reason, when this test process ignores SIGINT,
/// which the tool then inherits (a shell without job control starts its background jobs so, and a program
/// started from one does not see Ctrl-C, as it should not); never reported as passed then.
/// </summary>
public sealed class CtrlCFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when SIGINT is ignored here.</summary>
    public CtrlCFactAttribute()
    {
        if (SigIntIgnored())
        {
            Skip = "SIGINT is ignored in this test process (inherited, e.g. from a background job of a shell without job control), so the tool started from it ignores Ctrl-C too; run the tests in the foreground to cover Ctrl-C";
        }
    }

    /// <summary>Whether signal 2 is in this process's ignored set (<c>SigIgn</c> of <c>/proc/self/status</c>).</summary>
    internal static bool SigIntIgnored()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
        {
            return false;
        }

        string? line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x2) != 0;
    }
}
