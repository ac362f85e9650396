using EegDann.Recordings.Import;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>The EDF reader on the raw EEGMMIDB files shipped in tests/data, against MNE-Python's values (tools/golden/edf_golden.py).</summary>
public sealed class EdfReaderRealFileTests
{
    public static TheoryData<string> Files => EdfGolden.ShippedNames();

    [Fact]
    public void TwoRawFilesOfTheGoldenSetAreShippedUnderSixMegabytes()
    {
        Assert.Equal(["S001R04", "S002R04"], EdfGolden.NameList(TestData.ShippedRawFiles.Contains));
        var shipped = Directory.GetFiles(TestData.ShippedRawDirectory, "*.edf", SearchOption.AllDirectories);
        Assert.Equal(2, shipped.Length);
        Assert.True(shipped.Sum(f => new FileInfo(f).Length) < 6_000_000);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void SamplesEqualMneInMicrovoltsWithinOneThousandth(string name)
    {
        var golden = EdfGolden.Get(name);
        MneGoldenChecks.AssertSamplesEqualMne(golden, EdfGolden.ShippedPath(golden));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EventsEqualMneAnnotations(string name)
    {
        var golden = EdfGolden.Get(name);
        MneGoldenChecks.AssertEventsEqualMne(golden, EdfGolden.ShippedPath(golden));
    }

    [Fact]
    public void S001R04HasSixtyFourCleanChannelsTwentyThousandSamplesAndThirtyEvents()
    {
        var recording = RecordingImporter.Read(TestData.RawEdf("S001", "R04"));

        Assert.Equal(160, recording.Info.SampleRateHz);
        Assert.Equal(64, recording.Info.ChannelCount);
        Assert.Equal(20000, recording.SampleCount);
        Assert.Equal(30, recording.Events.Count);
        Assert.Equal(15, recording.Events.Count(e => e.Label == "T0"));
        Assert.Equal("C3", recording.Info.Channels[8]);
        Assert.Equal("Fc5", recording.Info.Channels[0]);
        Assert.Equal("C3..", recording.Metadata.OriginalChannelLabels[8]);
        Assert.All(recording.Info.Channels, c => Assert.DoesNotContain(".", c));
        Assert.All(recording.Metadata.ChannelUnits, u => Assert.Equal("uV", u));
        Assert.Equal("S001", recording.Metadata.Subject);
        Assert.Equal("R04", recording.Metadata.Run);
        Assert.Equal("S001R04.edf", recording.Metadata.SourceFile);
        Assert.Equal("3d161f88e1c00632585287d2ce584c2bc0f08862438eb255ea8723e00fac693d", recording.Metadata.SourceSha256);
        Assert.Equal("EDF+C", recording.Metadata.Extra["source_format"]);
        Assert.Equal("2009-08-12T16:15:00", recording.Metadata.Extra["start_time"]);
    }

    [Fact]
    public void SubjectOptionOverridesTheFileName()
    {
        var recording = RecordingImporter.Read(TestData.RawEdf("S002", "R04"), subject: "volunteer-7");

        Assert.Equal("volunteer-7", recording.Metadata.Subject);
        Assert.Equal("R04", recording.Metadata.Run);
    }
}
