using EegDann.Recordings.Import;

namespace EegDann.Recordings.Tests.Support;

/// <summary>The EDF reader's output on one raw file against MNE-Python's reading of it (<see cref="EdfGolden"/>).</summary>
public static class MneGoldenChecks
{
    /// <summary>Rate, channel names, length, SHA-256, samples at fixed indices within 1e-3 µV and per-channel sums.</summary>
    public static void AssertSamplesEqualMne(EdfGoldenFile golden, string path)
    {
        var source = EdfReader.Read(path);
        string name = golden.Name;

        Assert.Equal(golden.SampleRate, source.Info.SampleRateHz);
        Assert.Equal(golden.Channels, source.OriginalLabels);
        Assert.Equal(golden.SampleCount, source.Samples[0].Length);
        Assert.Equal(golden.Sha256, RecordingImporter.Sha256(path));
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

    /// <summary>Every annotation's onset, duration, label and sample equals MNE's.</summary>
    public static void AssertEventsEqualMne(EdfGoldenFile golden, string path)
    {
        var source = EdfReader.Read(path);

        Assert.Equal(golden.Events.Length, source.Events.Count);
        for (int i = 0; i < golden.Events.Length; i++)
        {
            Assert.Equal(golden.Events[i].Onset, source.Events[i].OnsetSeconds, 9);
            Assert.Equal(golden.Events[i].Duration, source.Events[i].DurationSeconds, 9);
            Assert.Equal(golden.Events[i].Label, source.Events[i].Label);
            Assert.Equal((long)Math.Round(golden.Events[i].Onset * golden.SampleRate), source.Events[i].Sample);
        }
    }
}
