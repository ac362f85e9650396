using System.Text.Json;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>The done-when checks of the foundation issue, run through the real command line.</summary>
public sealed class ImportAndInfoCommandTests
{
    [Fact]
    public async Task ImportOfS001R04GivesTwentyThousandRowsSixtyFourChannelsAndThirtyEventsThatInfoReports()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string output = Path.Combine(dir.Path, "X");

        var import = await EegDannProcess.RunAsync("import", TestData.RawEdf("S001", "R04"), "--out", output);
        Assert.True(import.ExitCode == 0, import.StdErr);
        Assert.Equal(["S001R04.events.parquet", "S001R04.parquet"], Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var recording = await ParquetRecordingReader.ReadAsync(Path.Combine(output, "S001R04.parquet"));
        Assert.Equal(20000, recording.SampleCount);
        Assert.Equal(64, recording.Info.ChannelCount);
        Assert.Equal(30, recording.Events.Count);

        var info = await EegDannProcess.RunAsync("info", Path.Combine(output, "S001R04.parquet"), "--json");
        Assert.True(info.ExitCode == 0, info.StdErr);
        using var json = JsonDocument.Parse(info.StdOut);
        var root = json.RootElement;
        Assert.Equal(160, root.GetProperty("sample_rate_hz").GetDouble());
        Assert.Equal(64, root.GetProperty("channels").GetArrayLength());
        Assert.Equal("C3", root.GetProperty("channels")[8].GetString());
        Assert.Equal(20000, root.GetProperty("n_samples").GetInt64());
        Assert.Equal(30, root.GetProperty("events").GetArrayLength());
        Assert.Equal("T0", root.GetProperty("events")[0].GetProperty("label").GetString());
        Assert.Equal(4.2, root.GetProperty("events")[0].GetProperty("duration_s").GetDouble());
        Assert.Equal("S001", root.GetProperty("subject").GetString());
        Assert.Equal("R04", root.GetProperty("run").GetString());
        Assert.Equal("S001R04.edf", root.GetProperty("source_file").GetString());
        Assert.Equal("C3..", root.GetProperty("original_channels")[8].GetString());
    }

    [Fact]
    public async Task AnImportThatRunsOutOfMemoryFailsThoseFilesWithAClearMessageNotTheWholeBatchWithAStackTrace()
    {
        // A 16 MB managed heap stands for a file larger than the machine's memory: each file is read whole. Before, the
        // OutOfMemoryException took the process down (exit 70, a stack trace, the other inputs not imported). Now a
        // file that does not fit beside the others is tried again alone, and one that does not fit alone fails alone.
        // (Here 16 MB imports both files, at least one after the other; 9 MB fails both alone.)
        string[] inputs = [TestData.RawEdf("S001", "R04"), TestData.RawEdf("S002", "R04")];
        foreach (string limit in new[] { "0x1000000", "0x900000" })
        {
            using var dir = TestData.NewTemporaryDirectory();
            var run = await EegDannProcess.RunAsync(["import", .. inputs, "--out", dir.File("out")], new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = limit });
            Assert.True(run.ExitCode is 0 or 2, run.StdErr);
            Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
            foreach (string input in inputs)
            {
                string output = dir.File(Path.Combine("out", Path.GetFileNameWithoutExtension(input) + ".parquet"));
                bool imported = run.StdErr.Contains($"Imported {input} to", StringComparison.Ordinal);
                Assert.True(imported || run.StdErr.Contains($"{input}: not enough memory to import it alone", StringComparison.Ordinal), run.StdErr);
                Assert.Equal(imported, File.Exists(output));
            }
        }
    }

    [Fact]
    public async Task CrLfCorruptedCopyIsRefusedNamingItWhileTheGoodInputIsImported()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string corrupt = Path.Combine(dir.Path, "S001R04.edf");
        var bytes = File.ReadAllBytes(TestData.RawEdf("S001", "R04"));
        File.WriteAllBytes(corrupt, bytes.SelectMany(b => b == (byte)'\n' ? new[] { (byte)'\r', b } : [b]).ToArray());
        string output = Path.Combine(dir.Path, "out");

        var run = await EegDannProcess.RunAsync("import", corrupt, TestData.RawEdf("S002", "R04"), "--out", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(corrupt, run.StdErr);
        Assert.Contains("header and file length disagree", run.StdErr);
        Assert.Equal(["S002R04.events.parquet", "S002R04.parquet"], Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnImportStoppedBySigtermKeepsTheRecordingsItWroteAndSaysHowManyInsteadOfNothing()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var inputs = new List<string>();
        for (int i = 0; i < 60; i++)
        {
            string link = dir.File($"S{100 + i}R04.edf");
            File.CreateSymbolicLink(link, TestData.RawEdf("S001", "R04"));
            inputs.Add(link);
        }

        string output = dir.File("out");
        var run = await EegDannProcess.RunAndSignalAsync(["import", .. inputs, "--out", output], when: "(100%) done", signal: "TERM");

        Assert.True(run.ExitCode == ExitCodes.Cancelled, run.StdErr);
        Assert.DoesNotContain("nothing was written", run.StdErr, StringComparison.Ordinal);
        var written = Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        int imported = written.Count(f => !f!.EndsWith(".events.parquet", StringComparison.Ordinal));
        Assert.InRange(imported, 1, 59);
        Assert.Contains($"Stopped (SIGTERM or Ctrl-C): {imported} of 60 inputs were imported (listed above, complete); {60 - imported} were not written", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(2 * imported, written.Length);
        Assert.All(written.Where(f => !f!.EndsWith(".events.parquet", StringComparison.Ordinal)), f => Assert.Contains($"to {Path.Combine(output, f!)}: 64 channels", run.StdErr, StringComparison.Ordinal));
        var first = await ParquetRecordingReader.ReadAsync(Path.Combine(output, written.First(f => !f!.EndsWith(".events.parquet", StringComparison.Ordinal))!));
        Assert.Equal(20000, first.SampleCount);
    }

    [Fact]
    public async Task AFileCutShortIsRefusedNamingSalvageWhichThenImportsItsCompleteRecordsWithAWarning()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string cut = dir.File("S001R04.edf");
        var bytes = await File.ReadAllBytesAsync(TestData.RawEdf("S001", "R04"));
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length - 30000)]);

        var refused = await EegDannProcess.RunAsync("import", cut, "--out", dir.File("refused"));
        Assert.Equal(ExitCodes.BadInput, refused.ExitCode);
        Assert.Contains("import --salvage keeps the complete data records before the cut", refused.StdErr, StringComparison.Ordinal);

        var salvaged = await EegDannProcess.RunAsync("import", cut, "--salvage", "--out", dir.File("salvaged"));
        Assert.True(salvaged.ExitCode == 0, salvaged.StdErr);
        Assert.Contains($"Salvaged {cut}: the file was cut short: 123 of the 125 data records", salvaged.StdErr, StringComparison.Ordinal);
        var recording = await ParquetRecordingReader.ReadAsync(Path.Combine(dir.File("salvaged"), "S001R04.parquet"));
        Assert.Equal(123 * 160, recording.SampleCount);
        Assert.StartsWith("the file was cut short", recording.Metadata.Extra["salvaged"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportOfAMissingFileFailsNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string missing = Path.Combine(dir.Path, "S009R99.edf");

        var run = await EegDannProcess.RunAsync("import", missing, "--out", Path.Combine(dir.Path, "out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{missing}: cannot be read: no such file", run.StdErr);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "out")));
    }

    [Fact]
    public async Task InfoOnACorruptParquetFileFailsNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = Path.Combine(dir.Path, "broken.parquet");
        File.WriteAllBytes(path, [.. "PAR1"u8.ToArray(), .. new byte[100], .. "PAR1"u8.ToArray()]);

        var run = await EegDannProcess.RunAsync("info", path, "--json");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.StdOut);
        Assert.Contains(path, run.StdErr);
        Assert.Contains("not a readable Parquet file", run.StdErr);
    }
}
