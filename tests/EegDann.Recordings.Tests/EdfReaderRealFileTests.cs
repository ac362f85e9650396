using EegDann.Recordings.Import;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>The EDF reader on every shared EEGMMIDB file, against MNE-Python's values (tools/golden/edf_golden.py).</summary>
public sealed class EdfReaderRealFileTests
{
    public static TheoryData<string> Files => EdfGolden.Names();

    [Theory]
    [MemberData(nameof(Files))]
    public void SamplesEqualMneInMicrovoltsWithinOneThousandth(string name)
    {
        var golden = EdfGolden.Get(name);
        var source = EdfReader.Read(EdfGolden.RawPath(golden));

        Assert.Equal(golden.SampleRate, source.Info.SampleRateHz);
        Assert.Equal(golden.Channels, source.OriginalLabels);
        Assert.Equal(golden.SampleCount, source.Samples[0].Length);
        Assert.Equal(golden.Sha256, RecordingImporter.Sha256(EdfGolden.RawPath(golden)));
        for (int i = 0; i < golden.Indices.Length; i++)
        {
            for (int c = 0; c < golden.Channels.Length; c++)
            {
                Assert.True(Math.Abs(source.Samples[c][golden.Indices[i]] - golden.Values[i][c]) <= 1e-3,
                    $"{name} {golden.Channels[c]} sample {golden.Indices[i]}: {source.Samples[c][golden.Indices[i]]} vs MNE {golden.Values[i][c]}");
            }
        }

        for (int c = 0; c < golden.Channels.Length; c++)
        {
            double sum = 0, sumAbs = 0, sumSq = 0, sumIw = 0;
            for (int i = 0; i < source.Samples[c].Length; i++)
            {
                double v = source.Samples[c][i];
                sum += v;
                sumAbs += Math.Abs(v);
                sumSq += v * v;
                sumIw += (i + 1) * v;
            }

            // Storing in float32 moves each value by at most 2^-24 of itself: these bounds follow.
            Assert.True(Math.Abs(sum - golden.Sum[c]) <= (golden.SumAbs[c] * Math.Pow(2, -23)) + 1e-9, $"{name} {golden.Channels[c]} sum {sum} vs {golden.Sum[c]}");
            Assert.True(Math.Abs(sumAbs - golden.SumAbs[c]) <= (golden.SumAbs[c] * Math.Pow(2, -23)) + 1e-9, $"{name} {golden.Channels[c]} sum|x| {sumAbs} vs {golden.SumAbs[c]}");
            Assert.True(Math.Abs(sumSq - golden.SumSq[c]) <= (golden.SumSq[c] * Math.Pow(2, -21)) + 1e-9, $"{name} {golden.Channels[c]} sum x² {sumSq} vs {golden.SumSq[c]}");
            Assert.True(Math.Abs(sumIw - golden.SumIw[c]) <= (golden.SumAbs[c] * golden.SampleCount * Math.Pow(2, -23)) + 1e-6, $"{name} {golden.Channels[c]} sum (i+1)x {sumIw} vs {golden.SumIw[c]}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EventsEqualMneAnnotations(string name)
    {
        var golden = EdfGolden.Get(name);
        var source = EdfReader.Read(EdfGolden.RawPath(golden));

        Assert.Equal(golden.Events.Length, source.Events.Count);
        for (int i = 0; i < golden.Events.Length; i++)
        {
            Assert.Equal(golden.Events[i].Onset, source.Events[i].OnsetSeconds, 9);
            Assert.Equal(golden.Events[i].Duration, source.Events[i].DurationSeconds, 9);
            Assert.Equal(golden.Events[i].Label, source.Events[i].Label);
            Assert.Equal((long)Math.Round(golden.Events[i].Onset * golden.SampleRate), source.Events[i].Sample);
        }
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
        var recording = RecordingImporter.Read(TestData.RawEdf("S002", "R08"), subject: "volunteer-7");

        Assert.Equal("volunteer-7", recording.Metadata.Subject);
        Assert.Equal("R08", recording.Metadata.Run);
    }
}
