using System.Text.Json;
using EegDann.Pipelines.Signal;
using EegDann.TestSupport;
using Xunit.Abstractions;

namespace EegDann.Pipelines.Tests;

/// <summary>
/// Issue 3's acceptance: mi-logvar on S001 runs 04/08/12 against SciPy's sosfilt + log(var) over
/// MNE's reading of the same EDF files (tools/golden/mi_logvar_golden.py).
/// </summary>
public sealed class MiLogVarGoldenTests(ITestOutputHelper output)
{
    [Fact]
    public void S001GivesTheGoldenEpochsLabelsAndLogVariancesWithin1e4()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("golden", "mi_logvar_S001.json")));
        var definition = RealRecordings.MiLogVar;
        var signal = SignalPipeline.Create(definition);
        var sets = new[] { "R04", "R08", "R12" }.Select(run => signal.ExtractEpochs(RealRecordings.Read("S001", run))).ToArray();
        Assert.All(sets, s => Assert.Empty(s.Skipped));
        var fitted = FeaturePipeline.Fit(signal, [Core.EpochSet.Concat(sets.Select(s => s.Epochs).ToArray())]);
        Assert.Equal(45, sets.Sum(s => s.Epochs.Count));

        double worst = 0;
        int compared = 0;
        foreach (var (set, goldenRecording) in sets.Zip(golden.RootElement.GetProperty("recordings").EnumerateArray()))
        {
            var table = FeaturePipeline.Transform(definition, fitted, set.Epochs);
            var channels = goldenRecording.GetProperty("channels").EnumerateArray().Select(c => c.GetString()!).ToArray();
            Assert.Equal(channels.Select(c => $"logvar_{c}"), table.FeatureNames);
            var goldenEpochs = goldenRecording.GetProperty("epochs").EnumerateArray().ToArray();
            Assert.Equal(goldenEpochs.Length, table.RowCount);
            for (int i = 0; i < table.RowCount; i++)
            {
                var g = goldenEpochs[i];
                long expectedStart = (long)Math.Round(g.GetProperty("onset_s").GetDouble() * 160, MidpointRounding.ToEven) + 80;
                Assert.Equal(expectedStart, g.GetProperty("start_sample").GetInt64());
                Assert.Equal(expectedStart, table.Rows[i].StartSample);
                Assert.Equal(g.GetProperty("label").GetString(), table.Rows[i].Label);
                Assert.Equal(g.GetProperty("event").GetString() == "T1" ? "left" : "right", table.Rows[i].Label);
                Assert.Equal("S001", table.Rows[i].Subject);
                Assert.Equal(goldenRecording.GetProperty("recording").GetString(), table.Rows[i].Recording);
                var expected = g.GetProperty("logvar").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                var actual = table.Row(i);
                for (int c = 0; c < expected.Length; c++)
                {
                    worst = Math.Max(worst, Math.Abs(actual[c] - expected[c]));
                    compared++;
                }
            }
        }

        output.WriteLine($"mi-logvar S001 R04/R08/R12: {compared} log-variances, max |EegDann − SciPy| = {worst:E3}");
        Assert.True(worst <= 1e-4, $"max |difference| {worst:E3}");
    }
}
