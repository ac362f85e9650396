using System.Text;
using EegDann.Recordings.Import;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;
using SyntheticBrainVision = EegDann.Recordings.Tests.BrainVisionReaderTests.SyntheticBrainVision;

namespace EegDann.Recordings.Tests;

/// <summary>Bad XDF and BrainVision files get a clear error naming the file and the problem, and no output.</summary>
public sealed class XdfAndBrainVisionBadInputTests
{
    private static async Task<string> ImportFailsAsync(string path, string? namedFile = null, ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        var e = Assert.Throws<RecordingFormatException>(() => RecordingImporter.Read(path, options));
        Assert.Equal(namedFile ?? path, e.FilePath);
        Assert.StartsWith((namedFile ?? path) + ": ", e.Message);

        string outDir = Path.Combine(Path.GetDirectoryName(path)!, "out-" + Guid.NewGuid().ToString("N")[..6]);
        var results = await RecordingImporter.ImportAsync([path], outDir, options);
        Assert.False(results[0].Succeeded);
        Assert.Equal(e.Message, results[0].Error);
        Assert.Empty(Directory.GetFiles(outDir));
        return e.Message;
    }

    private static byte[] Minimal() => File.ReadAllBytes(TestData.TestDataFile("formats", "xdf", "minimal.xdf"));

    private static SyntheticXdf OneStream() => new SyntheticXdf().FileHeader().StreamHeader(1, "eeg", "EEG", 1, 10, "float32");

    [Fact]
    public async Task TruncatedXdfIsRefusedNamingTheChunk()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = Minimal();
        string path = dir.File("cut.xdf");
        File.WriteAllBytes(path, bytes[..(bytes.Length - 40)]);

        string message = await ImportFailsAsync(path);
        Assert.Contains("truncated: chunk", message);
        Assert.Contains("but the file ends", message);
    }

    [Fact]
    public async Task XdfWithWrongMagicIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = Minimal();
        bytes[3] = (byte)'!';
        string path = dir.File("magic.xdf");
        File.WriteAllBytes(path, bytes);

        string message = await ImportFailsAsync(path);
        Assert.Contains("nor XDF or a BrainVision header: it starts with 'XDF!", message);
        var direct = Assert.Throws<RecordingFormatException>(() => XdfFile.Read(path));
        Assert.Contains("not an XDF file: it must start with 'XDF:', found 'XDF!'", direct.Message);
    }

    [Fact]
    public async Task XdfWithOnlyTheMagicIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("magic-only.xdf");
        File.WriteAllBytes(path, "XDF:"u8.ToArray());

        Assert.Contains("not even its FileHeader chunk", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task SamplesOfAStreamWithoutHeaderAreRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = OneStream().Samples(9, "float32", (1.0, [(object)1f])).WriteTo(dir.File("orphan.xdf"));

        Assert.Contains("chunk 3 at byte", await ImportFailsAsync(path));
        Assert.Contains("a Samples chunk of stream 9, which has no StreamHeader before it", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task SamplesChunkWithBytesLeftOverIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var xdf = OneStream();
        var good = new SyntheticXdf(magic: false).Samples(1, "float32", (1.0, [(object)1f])).Build();
        // Re-frame the Samples chunk's content (after its 1 + 4 length bytes and 2 tag bytes) with 3 extra bytes.
        xdf.Chunk(3, [.. good[7..], 1, 2, 3]);
        string path = xdf.WriteTo(dir.File("extra.xdf"));

        Assert.Contains("announces 1 samples but holds 3 bytes more", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task SampleCutInsideItsValuesIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var xdf = OneStream();
        var good = new SyntheticXdf(magic: false).Samples(1, "float32", (1.0, [(object)1f])).Build();
        xdf.Chunk(3, good[7..^2]);
        string path = xdf.WriteTo(dir.File("short-sample.xdf"));

        Assert.Contains("ends inside its samples", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task ChunkLengthWidthOtherThan148IsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var bytes = Minimal();
        bytes[4] = 3; // the FileHeader chunk's length width
        string path = dir.File("width.xdf");
        File.WriteAllBytes(path, bytes);

        Assert.Contains("chunk 1 at byte 4: its length field announces 3 bytes; XDF allows 1, 4 or 8", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task StreamHeaderWhoseXmlDoesNotParseIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var xdf = new SyntheticXdf().FileHeader();
        xdf.Chunk(2, [1, 0, 0, 0, .. Encoding.UTF8.GetBytes("<info><name>eeg</info>")]);
        string path = xdf.WriteTo(dir.File("xml.xdf"));

        Assert.Contains("(StreamHeader of stream 1): its XML does not parse", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task UnknownValueFormatIsRefusedNamingTheStream()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticXdf().FileHeader().StreamHeader(4, "amp", "EEG", 2, 500, "float16").WriteTo(dir.File("format.xdf"));

        Assert.Contains("the header of stream 4 'amp' is invalid: channel_format is 'float16'", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task StreamNameThatIsNotInTheFileIsRefusedListingTheStreams()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = dir.File("minimal.xdf");
        File.WriteAllBytes(path, Minimal());

        string message = await ImportFailsAsync(path, options: new ImportOptions { Stream = "Nope" });
        Assert.Contains("no stream is called 'Nope' (--stream)", message);
        Assert.Contains("'SendDataC' (EEG, 3 × int16, 10 Hz, 9 samples)", message);
        Assert.Contains("'SendDataString' (StringMarker", await ImportFailsAsync(path, options: new ImportOptions { Stream = "SendDataString" }));
    }

    [Fact]
    public async Task XdfWithoutASignalStreamIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticXdf().FileHeader().StreamHeader(1, "cues", "Markers", 1, 0, "string")
            .Samples(1, "string", (3.0, [(object)"left"])).WriteTo(dir.File("markers-only.xdf"));

        Assert.Contains("no stream can be the recording", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task EegStreamWithoutSamplesIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = OneStream().StreamFooter(1).WriteTo(dir.File("empty.xdf"));

        Assert.Contains("stream 'eeg' has no samples", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task BrainVisionWithoutItsDataFileIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);
        File.Delete(dir.File("rec.eeg"));

        Assert.Contains("its data file 'rec.eeg' (DataFile) is missing", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task BrainVisionWithoutItsMarkerFileIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);
        File.Delete(dir.File("rec.vmrk"));

        Assert.Contains("its marker file 'rec.vmrk' (MarkerFile) is missing", await ImportFailsAsync(path));
    }

    [Fact]
    public async Task TruncatedBrainVisionDataIsRefusedNamingTheDataFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision { Channels = [("C3", "0.1", "µV"), ("C4", "0.1", "µV")] }.WriteTo(dir, "rec", (c, k) => k);
        var data = File.ReadAllBytes(dir.File("rec.eeg"));
        File.WriteAllBytes(dir.File("rec.eeg"), data[..^2]);

        string message = await ImportFailsAsync(path, dir.File("rec.eeg"));
        Assert.Contains("truncated or inconsistent with its header: 18 bytes is not a whole number of samples of 2 channels × 2 bytes (INT_16)", message);
    }

    [Fact]
    public async Task DataPointsThatDisagreeWithTheDataAreRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var file = new SyntheticBrainVision { Version = "2.0" };
        file.ExtraHeaderLines.Add("DataPoints=6");
        string path = file.WriteTo(dir, "rec", (c, k) => k);

        Assert.Contains("the header says DataPoints=6, the file holds 5 samples", await ImportFailsAsync(path, dir.File("rec.eeg")));
    }

    [Fact]
    public async Task HeaderListingFewerChannelsThanItCountsIsRefusedWithEveryProblem()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);
        string text = File.ReadAllText(path).Replace("NumberOfChannels=1", "NumberOfChannels=3").Replace("SamplingInterval=5000", "SamplingInterval=zero");
        File.WriteAllText(path, text);

        string message = await ImportFailsAsync(path);
        Assert.Contains("inconsistent header: ", message);
        Assert.Contains("SamplingInterval is 'zero'", message);
        Assert.Contains("[Channel Infos] Ch2 is missing (NumberOfChannels is 3)", message);
        Assert.Contains("Ch3 is missing", message);
    }

    [Theory]
    [InlineData("BinaryFormat=INT_16", "BinaryFormat=UINT_16", "BinaryFormat is 'UINT_16', not INT_16, INT_32 or IEEE_FLOAT_32")]
    [InlineData("DataFormat=BINARY", "DataFormat=ASCII", "DataFormat is 'ASCII'; EegDann reads BINARY data only")]
    [InlineData("DataOrientation=MULTIPLEXED", "DataOrientation=SIDEWAYS", "DataOrientation is 'SIDEWAYS'")]
    [InlineData("DataFile=rec.eeg\r\n", "", "[Common Infos] DataFile is missing")]
    [InlineData("Ch1=C3,,0.1,µV", "Ch1=C3,,tiny,µV", "Ch1 'C3': resolution 'tiny' is not a non-zero number")]
    public async Task InconsistentHeadersAreRefusedNamingTheField(string from, string to, string expected)
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);
        File.WriteAllText(path, File.ReadAllText(path).Replace(from, to));

        Assert.Contains(expected, await ImportFailsAsync(path));
    }

    [Fact]
    public async Task HeaderWithWrongFirstLineIsNotTakenForBrainVision()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);
        File.WriteAllText(path, File.ReadAllText(path).Replace("Brain Vision Data Exchange Header File", "Some Other Header File"));

        Assert.Contains("not an EDF, BDF or GDF 2.x file, nor XDF or a BrainVision header", await ImportFailsAsync(path));
        var direct = Assert.Throws<RecordingFormatException>(() => BrainVisionReader.Read(path));
        Assert.Contains("not a BrainVision header file: its first line must be", direct.Message);
    }

    [Fact]
    public async Task MarkerFileWithWrongFirstLineOrABadMarkerIsRefusedNamingIt()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision { Markers = ["Stimulus,S  1,zero,1,0"] }.WriteTo(dir, "rec", (c, k) => k);

        Assert.Contains("marker Mk1=Stimulus,S  1,zero,1,0: expected 'type,description,position,size,channel'", await ImportFailsAsync(path, dir.File("rec.vmrk")));
        File.WriteAllText(dir.File("rec.vmrk"), "hello\r\n");
        Assert.Contains("not a BrainVision marker file", await ImportFailsAsync(path, dir.File("rec.vmrk")));
    }

    [Theory]
    [InlineData("rec.eeg")]
    [InlineData("rec.vmrk")]
    public async Task DataOrMarkerFileGivenInsteadOfTheHeaderIsRefusedSayingSo(string name)
    {
        using var dir = TestData.NewTemporaryDirectory();
        new SyntheticBrainVision().WriteTo(dir, "rec", (c, k) => k);

        Assert.Contains("import its header (the .vhdr file)", await ImportFailsAsync(dir.File(name)));
    }

    [Fact]
    public async Task HeaderClaimingUtf8ThatIsNotIsRefused()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string path = new SyntheticBrainVision { Codepage = "UTF-8", Channels = [("C3", "0.1", "µV")] }.WriteTo(dir, "rec", (c, k) => k);
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(Encoding.UTF8.GetString(File.ReadAllBytes(path))));

        Assert.Contains("says Codepage=UTF-8 but is not valid UTF-8", await ImportFailsAsync(path));
    }
}
