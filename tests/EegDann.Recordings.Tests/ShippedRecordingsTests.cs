using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>The recordings shipped in recordings/ are what MNE-Python reads from their source files.</summary>
public sealed class ShippedRecordingsTests
{
    public static TheoryData<string> Shipped()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestData.RecordingsDirectory, "*.parquet").Where(f => !f.EndsWith(".events.parquet", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Fact]
    public void TwelveRecordingsOfFourSubjectsAreShippedUnderFortyMegabytes()
    {
        Assert.Equal(12, Shipped().Count);
        long bytes = Directory.GetFiles(TestData.RecordingsDirectory).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes < 40_000_000, $"recordings/ holds {bytes} bytes");
    }

    [Theory]
    [MemberData(nameof(Shipped))]
    public async Task ShippedRecordingsEqualMneValuesAndDeclareTheirSource(string name)
    {
        var golden = EdfGolden.Get(name);
        var recording = await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, name + ".parquet"));

        Assert.Equal(name[..4], recording.Metadata.Subject);
        Assert.Equal(name[4..], recording.Metadata.Run);
        Assert.Equal(name + ".edf", recording.Metadata.SourceFile);
        Assert.Equal(golden.Sha256, recording.Metadata.SourceSha256);
        Assert.Equal(golden.Channels, recording.Metadata.OriginalChannelLabels);
        Assert.Equal(golden.SampleRate, recording.Info.SampleRateHz);
        Assert.Equal(golden.SampleCount, recording.SampleCount);
        for (int i = 0; i < golden.Indices.Length; i++)
        {
            for (int c = 0; c < golden.Channels.Length; c++)
            {
                Assert.True(Math.Abs(recording.Samples[c][golden.Indices[i]] - golden.Values[i][c]) <= 1e-3);
            }
        }

        for (int c = 0; c < golden.Channels.Length; c++)
        {
            double sum = recording.Samples[c].Sum(v => (double)v);
            Assert.True(Math.Abs(sum - golden.Sum[c]) <= (golden.SumAbs[c] * Math.Pow(2, -23)) + 1e-9);
        }

        Assert.Equal(golden.Events.Select(e => e.Label), recording.Events.Select(e => e.Label));
        Assert.Equal(golden.Events.Select(e => e.Onset), recording.Events.Select(e => e.OnsetSeconds));
    }
}

/// <summary>The recordings shipped in recordings/ equal a fresh import of their source files (SharedData category).</summary>
[Trait("Category", "SharedData")]
public sealed class ShippedRecordingsSourceTests
{
    public static TheoryData<string> Shipped() => ShippedRecordingsTests.Shipped();

    [Theory]
    [MemberData(nameof(Shipped))]
    public async Task ShippedRecordingEqualsAFreshImportOfItsSharedSourceFile(string name)
    {
        var shipped = await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, name + ".parquet"));
        var imported = EegDann.Recordings.Import.RecordingImporter.Read(TestData.SharedRawEdf(name[..4], name[4..]));

        Assert.Equal(imported.Info, shipped.Info);
        for (int c = 0; c < imported.Info.ChannelCount; c++)
        {
            Assert.Equal(imported.Samples[c], shipped.Samples[c]);
        }

        Assert.Equal(imported.Events, shipped.Events);
        Assert.Equal(imported.Metadata.SourceSha256, shipped.Metadata.SourceSha256);
    }
}
