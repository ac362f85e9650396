using EegDann.Core;
using EegDann.Recordings.Import;
using EegDann.Recordings.Parquet;
using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>Damaged files never crash the readers: they are read or refused with a <see cref="RecordingFormatException"/>.</summary>
public sealed class CorruptionFuzzTests
{
    private static byte[] SmallEdfPlus()
    {
        var edf = new SyntheticEdf { Reserved = "EDF+C" };
        edf.Signals.Add(SyntheticEdf.Ramp("C3", 30));
        edf.Signals.Add(SyntheticEdf.Ramp("C4", 30, "mV"));
        edf.Annotations.Add((0.5, 1.0, "T1"));
        edf.Annotations.Add((2.25, null, "T2"));
        return edf.Build();
    }

    private static byte[] SmallGdf()
    {
        var gdf = new SyntheticGdf { SampleRate = 50 };
        gdf.Channels.Add(("C3", Enumerable.Range(0, 100).Select(i => (short)i).ToArray(), 4275));
        gdf.Events.Add((10, 769, 5));
        gdf.Events.Add((60, 770, 5));
        return gdf.Build();
    }

    public static TheoryData<string> Formats => new() { "edf", "gdf" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void RandomlyDamagedFilesAreReadOrRefusedNeverCrash(string format)
    {
        using var dir = TestData.NewTemporaryDirectory();
        var original = format == "edf" ? SmallEdfPlus() : SmallGdf();
        var random = new Random(20260101);
        string path = dir.File("fuzz." + format);
        int refused = 0;
        for (int trial = 0; trial < 800; trial++)
        {
            var bytes = (byte[])original.Clone();
            switch (trial % 3)
            {
                case 0:
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    break;
                case 1:
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                default:
                    // Damage a header field with printable junk, as a hand-edited or mis-exported header would be.
                    int at = random.Next(Math.Min(bytes.Length, 256 * 4));
                    bytes[at] = (byte)"-+.eE9 NaInf"[random.Next(12)];
                    break;
            }

            File.WriteAllBytes(path, bytes);
            try
            {
                var recording = RecordingImporter.Read(path);
                Assert.True(recording.SampleCount >= 0);
            }
            catch (RecordingFormatException e)
            {
                Assert.StartsWith(path, e.Message);
                refused++;
            }
        }

        Assert.InRange(refused, 50, 800);
    }

    [Fact]
    public async Task RandomlyDamagedParquetRecordingsAreReadOrRefusedNeverCrash()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var info = new SignalInfo(100, ["C3", "C4", "Cz"]);
        var samples = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 1000).Select(i => (float)Math.Sin((i * 0.1) + c)).ToArray()).ToArray();
        var recording = new Recording(info, samples, [new RecordingEvent(1, 0, "T1", 100)], new RecordingMetadata { Subject = "S1" });
        string clean = dir.File("clean.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, clean, rowGroupSeconds: 2);
        var original = File.ReadAllBytes(clean);
        string path = dir.File("fuzz.parquet");
        File.Copy(RecordingParquet.EventsPathFor(clean), RecordingParquet.EventsPathFor(path));
        var random = new Random(20260102);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])original.Clone();
            if (trial % 2 == 0)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }
            else
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }

            File.WriteAllBytes(path, bytes);
            try
            {
                var read = await ParquetRecordingReader.ReadAsync(path);
                Assert.Equal(1000, read.SampleCount);
            }
            catch (RecordingFormatException e)
            {
                Assert.StartsWith(path, e.Message);
                refused++;
            }
        }

        Assert.InRange(refused, 150, 300);
    }
}
