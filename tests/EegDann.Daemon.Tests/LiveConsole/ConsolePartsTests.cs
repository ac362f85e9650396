using EegDann.Daemon.Decoding;
using EegDann.Daemon.LiveConsole;
using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Tests.LiveConsole;

public sealed class HeadLayoutTests
{
    [Theory]
    [InlineData("Cz", 0.0, 0.0)]
    [InlineData("C3", -0.2, 0.0)]
    [InlineData("C4", 0.2, 0.0)]
    [InlineData("T7", -0.4, 0.0)]
    [InlineData("T9", -0.5, 0.0)]
    [InlineData("Fz", 0.0, 0.2)]
    [InlineData("Fpz", 0.0, 0.4)]
    [InlineData("Oz", 0.0, -0.4)]
    [InlineData("Iz", 0.0, -0.5)]
    [InlineData("Nz", 0.0, 0.5)]
    public void MidlineAndCoronalElectrodesLieOnTheTenPercentGrid(string label, double x, double y)
    {
        var p = HeadLayout.Position(label);

        Assert.NotNull(p);
        Assert.Equal(x, p.Value.X, 3);
        Assert.Equal(y, p.Value.Y, 3);
    }

    [Fact]
    public void ElectrodesOfTheTenPercentCircleSitAtTheirAngles()
    {
        // Fp1 18°, F7 54°, P8 126°, O2 162° from the nose, all at radius 0.4.
        foreach (var (label, degrees, side) in new[] { ("Fp1", 18.0, -1), ("F7", 54.0, -1), ("P8", 126.0, 1), ("O2", 162.0, 1) })
        {
            var p = HeadLayout.Position(label)!.Value;
            double a = degrees * Math.PI / 180;
            Assert.Equal(side * 0.4 * Math.Sin(a), p.X, 3);
            Assert.Equal(0.4 * Math.Cos(a), p.Y, 3);
        }
    }

    [Fact]
    public void LabelsAreReadWhateverTheirCaseAndOldNamesAreUnderstood()
    {
        Assert.Equal(HeadLayout.Position("FC5"), HeadLayout.Position("Fc5"));
        Assert.Equal(HeadLayout.Position("T7"), HeadLayout.Position("T3"));
        Assert.Equal(HeadLayout.Position("C3"), HeadLayout.Position("C3.."));
        Assert.True(HeadLayout.Position("C1")!.Value.X > HeadLayout.Position("C3")!.Value.X);
        Assert.True(HeadLayout.Position("Af3")!.Value.Y > HeadLayout.Position("F3")!.Value.Y);
    }

    [Theory]
    [InlineData("EOG1")]
    [InlineData("T1")]
    [InlineData("Fp3")]
    [InlineData("C11")]
    [InlineData("Status")]
    public void OtherLabelsHaveNoPosition(string label) => Assert.Null(HeadLayout.Position(label));

    [Fact]
    public void EveryChannelOfTheShippedEegmmidbRecordingsHasAPosition()
    {
        var info = TestModels.Read("S002", "R04").Info;

        Assert.Equal(64, info.ChannelCount);
        Assert.All(info.Channels, c => Assert.NotNull(HeadLayout.Position(c)));
        Assert.True(HeadLayout.Known(info.Channels));
        // No two electrodes on the same spot.
        Assert.Equal(64, info.Channels.Select(c => HeadLayout.Position(c)!.Value).Distinct().Count());
        Assert.False(HeadLayout.Known(["ch1", "ch2", "ch3", "C3"]));
    }
}

public sealed class ChannelQualityTests
{
    private const double Rate = 160;

    private static float[] Signal(int samples, int channels, Func<int, int, double> value)
    {
        var data = new float[samples * channels];
        for (int s = 0; s < samples; s++)
        {
            for (int c = 0; c < channels; c++)
            {
                data[(s * channels) + c] = (float)value(s, c);
            }
        }

        return data;
    }

    private static double Eeg(int s, int seed) => (20 * Math.Sin(2 * Math.PI * 10 * s / Rate)) + (8 * Math.Sin((2 * Math.PI * 23 * s / Rate) + seed));

    [Fact]
    public void EachKindOfBadChannelGetsItsState()
    {
        var q = new ChannelQuality(6, Rate, flatMicrovolts: 0.5, saturationMicrovolts: 3000, lineNoiseShare: 0.5, varianceRatio: 10);
        var data = Signal(160, 6, (s, c) => c switch
        {
            1 => 4.0,
            2 => s == 40 ? 3500 : Eeg(s, c),
            3 => s == 70 ? double.NaN : Eeg(s, c),
            4 => Eeg(s, c) + (60 * Math.Sin(2 * Math.PI * 60 * s / Rate)),
            _ => Eeg(s, c),
        });

        q.Add(data, 160);

        Assert.Equal(
            [ChannelState.Ok, ChannelState.Flat, ChannelState.Saturated, ChannelState.NonFinite, ChannelState.Noisy, ChannelState.Ok],
            Enumerable.Range(0, 6).Select(q.State));
    }

    [Fact]
    public void AVarianceFarAboveTheChannelsOwnRunningMedianIsNoisy()
    {
        var q = new ChannelQuality(2, Rate, 0.5, 3000, 0.5, 10);
        q.Add(Signal(160 * 10, 2, (s, c) => Eeg(s, c)), 160 * 10);
        Assert.All(Enumerable.Range(0, 2), c => Assert.Equal(ChannelState.Ok, q.State(c)));

        // Channel 0 becomes 20 times larger (400 times the variance); with two channels there is no median over channels.
        q.Add(Signal(80, 2, (s, c) => c == 0 ? 20 * Eeg(s, c) : Eeg(s, c)), 80);

        Assert.Equal(ChannelState.Noisy, q.State(0));
        Assert.Equal(ChannelState.Ok, q.State(1));
    }

    [Fact]
    public void ANonFiniteBlockStaysVisibleForTwoSecondsAndAStoppedSourceShowsDisconnected()
    {
        var q = new ChannelQuality(1, Rate, 0.5, 3000, 0.5, 10);
        q.Add(Signal(80, 1, (s, _) => s == 3 ? double.PositiveInfinity : Eeg(s, 0)), 80);
        q.Add(Signal(80 * 4, 1, (s, _) => Eeg(s, 0)), 80 * 4);
        Assert.Equal(ChannelState.NonFinite, q.State(0));
        q.Add(Signal(80, 1, (s, _) => Eeg(s, 0)), 80);
        Assert.Equal(ChannelState.Ok, q.State(0));

        q.Disconnect();
        Assert.Equal(ChannelState.Disconnected, q.State(0));
        q.Add(Signal(80, 1, (s, _) => Eeg(s, 0)), 80);
        Assert.Equal(ChannelState.Ok, q.State(0));
    }
}

public sealed class ConsoleHubTests
{
    [Fact]
    public async Task ABrowserThatReadsNothingKeepsOnlyTheNewestFramesAndNeverHoldsThePublisher()
    {
        var hub = new ConsoleHub(Microsoft.Extensions.Options.Options.Create(new ConsoleOptions { ClientQueue = 2 }));
        using var stalled = hub.Join()!;
        using var reading = hub.Join()!;
        var got = new List<byte>();
        var reader = Task.Run(async () =>
        {
            await foreach (var frame in reading.Frames.Reader.ReadAllAsync())
            {
                got.Add(frame[0]);
                if (frame[0] == 99)
                {
                    break;
                }
            }
        });

        for (int i = 0; i < 100; i++)
        {
            hub.Publish([(byte)i]);
            await Task.Yield();
        }

        await reader;

        Assert.Equal(2, stalled.Frames.Reader.Count);
        Assert.True(stalled.Frames.Reader.TryRead(out var a));
        Assert.True(stalled.Frames.Reader.TryRead(out var b));
        Assert.Equal([98, 99], new[] { a[0], b[0] });
        Assert.Equal(98, stalled.Dropped);
        Assert.Equal(99, got[^1]);
        Assert.Equal(2, hub.Clients);
    }

    [Fact]
    public void ClientsBeyondTheLimitAreRefusedAndALeavingClientFreesItsPlace()
    {
        var hub = new ConsoleHub(Microsoft.Extensions.Options.Options.Create(new ConsoleOptions { MaxClients = 1 }));
        var first = hub.Join();

        Assert.NotNull(first);
        Assert.Null(hub.Join());
        first.Dispose();
        Assert.NotNull(hub.Join());
    }
}

public sealed class DecisionHistoryTests
{
    [Fact]
    public void ThePlotKeepsThirtySecondsOnlyTheNewStreamsPointsAfterARestartAndTheEventListOneEntryPerChange()
    {
        var history = new DecisionHistory();
        string[] classes = ["left", "right"];
        void Add(double seconds, string command, FailSafeReason reason = FailSafeReason.None) =>
            history.Add(new ConsoleDecision(new Decision(command, classes, [0.7f, 0.3f], seconds * 1000, 0, "m", reason, true), reason == FailSafeReason.None ? null : "C3"));

        for (int k = 0; k <= 40; k++)
        {
            Add(k, k < 20 ? "left" : "none", k < 20 ? FailSafeReason.None : FailSafeReason.FlatChannel);
        }

        var frame = Write(history, classes);
        Assert.Equal(Enumerable.Range(10, 31).Select(k => (double)k), frame.GetProperty("decisions").GetProperty("t").EnumerateArray().Select(t => t.GetDouble()));
        Assert.Equal([-1, 0], frame.GetProperty("decisions").GetProperty("command").EnumerateArray().Select(c => c.GetInt32()).Distinct().Order());
        var events = frame.GetProperty("commands").EnumerateArray().ToArray();
        Assert.Equal(["none", "left"], events.Select(e => e.GetProperty("command").GetString()));
        Assert.Equal("flat_channel", events[0].GetProperty("reason").GetString());
        Assert.Equal("C3", frame.GetProperty("current").GetProperty("detail").GetString());

        // The stream restarts: its time goes back, the old stream's points leave the plot.
        Add(1, "right");
        frame = Write(history, classes);
        Assert.Equal([1.0], frame.GetProperty("decisions").GetProperty("t").EnumerateArray().Select(t => t.GetDouble()));
        Assert.Equal("right", frame.GetProperty("current").GetProperty("command").GetString());
        Assert.Equal(classes, history.LastClasses);
    }

    private static System.Text.Json.JsonElement Write(DecisionHistory history, IReadOnlyList<string> classes)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            history.Write(w, classes, new EegDann.Daemon.Options.DecoderOptions());
            w.WriteEndObject();
        }

        return System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }
}
