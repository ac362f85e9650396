using EegDann.Daemon.Processing;

namespace EegDann.Daemon.Tests;

public sealed class RawSignalHistoryTests
{
    [Fact]
    public void StrideBlockSummariesFindTheSameBadChannelAsScanningEverySampleOfTheWindow()
    {
        // Real raw EEG (S002R04), appended in random chunks with a restart at an index off the block grid.
        var recording = TestModels.Read("S002", "R04");
        int c = recording.Info.ChannelCount, stride = 10, length = 320, capacity = 400;
        var scanned = new RawSignalHistory(c, capacity);
        var blocked = new RawSignalHistory(c, capacity, blockSamples: stride);
        var used = Enumerable.Range(0, c).ToArray();
        var random = new Random(14);
        var checkedWindows = 0;
        var found = new HashSet<(int, bool)>();
        long restartAt = 4001;
        for (long next = 0; next < 9000;)
        {
            int count = random.Next(1, 40);
            if (next < restartAt && next + count > restartAt)
            {
                count = (int)(restartAt - next);
            }

            // At 4001, 7 samples are lost: both restart at 4008, off the block grid.
            long index = next == restartAt ? next + 7 : next;
            var chunk = Chunk(recording, index, count);
            scanned.Append(chunk, count, index);
            blocked.Append(chunk, count, index);
            next = index + count;

            // Every window on the grid that ends in this chunk, and one off the grid, with thresholds near the channels' own ranges.
            for (long end = ((index / stride) + 1) * stride; end <= next; end += stride)
            {
                foreach (long start in new[] { end - length, end - length + 3 })
                {
                    foreach (var (flat, saturation) in new[] { (25f, 1000f), (60f, 150f), (5f, 90f) })
                    {
                        var expected = scanned.FindBadChannel(start, end, used, flat, saturation);
                        Assert.Equal(expected, blocked.FindBadChannel(start, end, used, flat, saturation));
                        found.Add(expected);
                        checkedWindows++;
                    }
                }
            }
        }

        // The thresholds made every kind of answer occur: clean, flat, saturated.
        Assert.Contains(found, f => f.Item1 < 0);
        Assert.Contains(found, f => f.Item1 >= 0 && f.Item2);
        Assert.Contains(found, f => f.Item1 >= 0 && !f.Item2);
        Assert.True(checkedWindows > 1000, $"{checkedWindows} windows checked");
    }

    /// <summary>Samples [first, first + count) of the recording, sample-major (the chunk layout).</summary>
    private static float[] Chunk(Core.Recording recording, long first, int count)
    {
        int c = recording.Info.ChannelCount;
        var values = new float[count * c];
        for (int s = 0; s < count; s++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                values[(s * c) + ch] = recording.Samples[ch][first + s];
            }
        }

        return values;
    }
}
