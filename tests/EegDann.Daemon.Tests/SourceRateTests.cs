using System.Collections.Concurrent;
using System.Text.Json;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.Dsp.Resampling;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// A lab's amplifier streams at 250 or 512 Hz; the model's pipeline runs at 160 Hz. The sources
/// here are a shipped recording (S002R04) resampled to the lab's rate with SciPy's
/// <c>resample_poly</c> design (<see cref="WholeSignalResampler"/>, which the Dsp tests hold to
/// SciPy's own output), so the same brain signal reaches the daemon at another rate.
/// </summary>
/// <remarks>
/// The pipeline's window is 320 samples (2 s) every 10 samples (62.5 ms) at 160 Hz. The daemon's
/// resampler is centred (output sample m estimates the input at m·fs_in/160): its filter reaches
/// 10 pipeline samples (62.5 ms) past the instant it estimates when it downsamples, so the window
/// ending at pipeline sample e can be computed once source sample ⌊(e + 9)·fs_in/160⌋ has arrived.
/// </remarks>
public sealed class SourceRateTests(ITestOutputHelper output)
{
    private const int PipelineRate = 160;
    private const int Window = 320;
    private const int Stride = 10;
    private const int Chunk = 7;
    private static readonly ConcurrentDictionary<double, Recording> Resampled = new();

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public void AtTheLabsRateAWindowIsCutEvery62Point5MsOfSourceTimeNoneLostOrRepeatedEachAsSoonAsItsSamplesHaveArrived(int rate)
    {
        var recording = At(rate);
        var chunks = Chunks(recording, Chunk);
        var items = Run(recording, chunks);

        long n = chunks[^1].EndSampleIndex;
        long computable = ComputablePipelineSamples(n, rate);
        int expected = (int)((computable - Window) / Stride) + 1;
        Assert.All(items, i => Assert.Equal(WindowItemKind.Window, i.Kind));
        Assert.Equal(Enumerable.Range(0, expected).Select(k => (long)Window + (k * Stride)), items.Select(i => i.EndSample));
        Assert.Equal(319 * 1000.0 / PipelineRate, items[0].TimeMilliseconds);
        Assert.All(items.Zip(items.Skip(1)), p => Assert.Equal(62.5, p.Second.TimeMilliseconds - p.First.TimeMilliseconds, 9));

        // The arrival stamp of each item is the first index of the chunk that produced it: the one
        // holding the last source sample the window needs, not a later one.
        Assert.All(items, i =>
        {
            long needed = (i.EndSample + 9) * rate / PipelineRate;
            Assert.Equal(needed - (needed % Chunk), i.ArrivalTimestamp);
        });
        output.WriteLine($"{rate} Hz: {n} source samples ({n / (double)rate:F3} s), {items.Count} windows, the last ending at {items[^1].TimeMilliseconds} ms");
    }

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public async Task TheDaemonStreamingTheLabsRateGivesTheWindowsFeaturesAndDecisionsOfTheBatchPathOnTheSameSignal(int rate)
    {
        using var dir = TestData.NewTemporaryDirectory();
        var recording = At(rate);
        string path = Path.Combine(dir.Path, $"S002R04_{rate}Hz.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        var observer = new CollectingObserver();
        var settings = DaemonRunner.Replay(path, TestModels.S001ToS002);
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        settings["Daemon:Decoder:SmoothingAlpha"] = "0.3";
        settings["Daemon:Decoder:DwellSeconds"] = "0.25";
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<IDecodeObserver>(observer));
        run.AssertExit(DaemonExitCode.Success);
        var online = observer.Seen;
        Assert.All(online, o => Assert.Equal(WindowItemKind.Window, o.Kind));

        // The batch path resamples the whole recording and completes it (the filter's tail is
        // flushed with zeros): it has the live windows, then only windows that need signal after
        // the end of the stream.
        var options = new DecoderOptions { ConfidenceThreshold = 0.5, SmoothingAlpha = 0.3, DwellSeconds = 0.25 };
        var batch = BatchPath.Decide(TestModels.S001ToS002, recording, options);
        long computable = ComputablePipelineSamples(recording.SampleCount, rate);
        Assert.Equal(((computable - Window) / Stride) + 1, online.Count);
        Assert.Equal(batch.Ends.Take(online.Count), online.Select(o => o.EndSample));
        Assert.All(batch.Ends.Skip(online.Count), e => Assert.True(e > computable, $"the batch window ending at {e} was computable live"));
        var (worstFeature, worstProbability) = Differences(batch.Features, batch.Probabilities, online);
        Assert.True(worstFeature <= 1e-9, $"features differ by {worstFeature:E3} (relative)");
        Assert.True(worstProbability <= 1e-5, $"probabilities differ by {worstProbability:E3}");
        Assert.Equal(batch.Commands.Take(online.Count), online.Select(o => o.Decision.Command));
        Assert.Equal(online.Count + 1, run.Messages.Count);
        Assert.Equal(batch.Commands.Take(online.Count).Append("none"), run.Messages.Select(m => JsonDocument.Parse(m).RootElement.GetProperty("command").GetString()));
        Assert.Equal(recording.SampleCount, run.Get<DaemonMetrics>().Samples);

        // The same person at 160 Hz: the round trip 160 → rate → 160 Hz keeps the 8-30 Hz band, so
        // the decisions are those of the original recording but for a few near the threshold.
        var original = BatchPath.Decide(TestModels.S001ToS002, TestModels.Read("S002", "R04"), options);
        var (vsOriginalFeature, vsOriginalProbability) = Differences(original.Features, original.Probabilities, online);
        int same = original.Commands.Zip(online, (a, b) => a == b.Decision.Command ? 1 : 0).Sum();
        double agreement = same / (double)online.Count;
        output.WriteLine($"{rate} Hz: {online.Count} windows ({batch.Ends.Count} in the batch path); vs the batch path at {rate} Hz: features {worstFeature:E3} (relative), probabilities {worstProbability:E3}; vs the 160 Hz original: features {vsOriginalFeature:E3}, probabilities {vsOriginalProbability:E3}, commands agree on {same} of {online.Count} ({agreement:P2})");
        Assert.True(agreement >= 0.98, $"commands agree with the 160 Hz recording's on {agreement:P2} of the windows");
    }

    [Fact]
    public async Task AStreamAtARateThatDoesNotConvertExactlyIsRefusedWithNoCommandEverAndTheReasonAndTheRateInTheLog()
    {
        // 100π Hz: no fraction L/M with L, M ≤ 10 000 maps it to 160 Hz.
        var original = TestModels.Read("S002", "R04");
        double rate = 100 * Math.PI;
        var recording = new Recording(new SignalInfo(rate, original.Info.Channels), original.Samples.Select(s => s[..4000]).ToArray(), [], original.Metadata);
        using var dir = TestData.NewTemporaryDirectory();
        string path = Path.Combine(dir.Path, "S002_pi.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        var observer = new CollectingObserver();
        using var run = await DaemonRunner.RunAsync(DaemonRunner.Replay(path, TestModels.S001ToS002), services => services.AddSingleton<IDecodeObserver>(observer));
        run.AssertExit(DaemonExitCode.Success);

        // Every window position the stream passes (in pipeline time) is a fail-safe, none a decision.
        long passed = (long)Math.Floor(4000 * PipelineRate / rate);
        var seen = observer.Seen;
        Assert.Equal(((passed - Window) / Stride) + 1, seen.Count);
        Assert.All(seen, o =>
        {
            Assert.Equal(WindowItemKind.FailSafe, o.Kind);
            Assert.Equal(Decision.NoCommand, o.Decision.Command);
            Assert.Equal(FailSafeReason.UnsupportedRate, o.Decision.Reason);
            Assert.Empty(o.Decision.Probabilities);
        });
        Assert.All(run.Messages, m => Assert.Equal("none", JsonDocument.Parse(m).RootElement.GetProperty("command").GetString()));
        Assert.Equal(seen.Count, run.Messages.Count(m => m.Contains("\"reason\":\"unsupported_rate\"", StringComparison.Ordinal)));
        Assert.Equal(1, run.Get<DaemonMetrics>().FailSafeEpisodes(FailSafeReason.UnsupportedRate));
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("cannot decode", StringComparison.Ordinal) && l.Message.Contains("cannot resample 314.159", StringComparison.Ordinal) && l.Message.Contains("160 Hz", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStreamWhoseNyquistFrequencyIsAtOrBelowThePipelinesBandIsRefusedAsAnUnsupportedRateNamingTheRateAndTheBand()
    {
        // 50 Hz: its Nyquist frequency, 25 Hz, lies below the 8-30 Hz band the model reads. The
        // samples are S002R04's relabelled: what matters is the rate the header declares.
        var original = TestModels.Read("S002", "R04");
        const double rate = 50;
        var recording = new Recording(new SignalInfo(rate, original.Info.Channels), original.Samples.Select(s => s[..4000]).ToArray(), [], original.Metadata);
        using var dir = TestData.NewTemporaryDirectory();
        string path = Path.Combine(dir.Path, "S002_50Hz.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, path);
        var observer = new CollectingObserver();
        using var run = await DaemonRunner.RunAsync(DaemonRunner.Replay(path, TestModels.S001ToS002), services => services.AddSingleton<IDecodeObserver>(observer));
        run.AssertExit(DaemonExitCode.Success);

        long passed = (long)Math.Floor(4000 * PipelineRate / rate);
        var seen = observer.Seen;
        Assert.Equal(((passed - Window) / Stride) + 1, seen.Count);
        Assert.All(seen, o =>
        {
            Assert.Equal(WindowItemKind.FailSafe, o.Kind);
            Assert.Equal(Decision.NoCommand, o.Decision.Command);
            Assert.Equal(FailSafeReason.UnsupportedRate, o.Decision.Reason);
        });
        Assert.All(run.Messages, m => Assert.Equal("none", JsonDocument.Parse(m).RootElement.GetProperty("command").GetString()));
        Assert.Equal(1, run.Get<DaemonMetrics>().FailSafeEpisodes(FailSafeReason.UnsupportedRate));
        Assert.Contains(run.Logs.Lines, l => l.Message.Contains("cannot decode", StringComparison.Ordinal) && l.Message.Contains("a 50 Hz source", StringComparison.Ordinal)
            && l.Message.Contains("Nyquist frequency 25 Hz", StringComparison.Ordinal) && l.Message.Contains("8-30 Hz band-pass", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public void AtTheLabsRateAGapGivesNoneUntilTheFirstWindowWhollyAfterItAndNothingForPositionsInsideIt(int rate)
    {
        // Source samples [a, b) never arrive: in pipeline time the gap spans (a·160/fs, b·160/fs).
        var recording = At(rate);
        long a = 3 * rate, b = 4 * rate;
        var chunks = Chunks(recording, Chunk).Where(c => c.FirstSampleIndex + c.SampleCount <= a || c.FirstSampleIndex >= b).ToList();
        long resumeAt = chunks.First(c => c.FirstSampleIndex >= b).FirstSampleIndex;
        long lastBefore = chunks.Last(c => c.FirstSampleIndex < a).EndSampleIndex;
        chunks = chunks.Where(c => c.FirstSampleIndex < 10 * rate).ToList();
        var items = Run(recording, chunks);

        // The first window wholly after the restart starts at or after the first pipeline sample
        // the restarted resampler gives, ⌈resume·160/fs⌉.
        long restart = ((resumeAt * PipelineRate) + rate - 1) / rate;
        long firstClean = FirstEndAtOrAfter(restart + Window);
        Assert.Equal(items.Select(i => i.EndSample).Order(), items.Select(i => i.EndSample));
        Assert.Equal(items.Count, items.Select(i => i.EndSample).Distinct().Count());
        Assert.All(items.Where(i => i.EndSample < firstClean && i.EndSample > ComputablePipelineSamples(lastBefore, rate)), i => Assert.Equal(FailSafeReason.Gap, i.Reason));
        Assert.All(items.Where(i => i.EndSample >= firstClean || i.EndSample <= ComputablePipelineSamples(lastBefore, rate)), i => Assert.Equal(WindowItemKind.Window, i.Kind));
        Assert.Equal(firstClean, items.First(i => i.Kind == WindowItemKind.Window && i.EndSample > a * PipelineRate / rate).EndSample);
        Assert.DoesNotContain(items, i => i.EndSample > ComputablePipelineSamples(lastBefore, rate) && i.EndSample <= (resumeAt * PipelineRate / rate));

        // After it every position is a decoded window, up to the end of what was streamed.
        long streamed = ComputablePipelineSamples(chunks[^1].EndSampleIndex, rate);
        var after = items.Where(i => i.EndSample >= firstClean).Select(i => i.EndSample).ToList();
        Assert.Equal(Enumerable.Range(0, (int)((streamed - firstClean) / Stride) + 1).Select(k => firstClean + (k * Stride)), after);
    }

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public void AtTheLabsRateAFlatChannelGivesNoneForEveryWindowWhoseSourceSamplesAreAllFlat(int rate)
    {
        // C4 holds 12.5 µV over source samples [a, b) (pipeline time 2000..2600). The window ending
        // at pipeline sample e covers source samples ⌊(e − 320)·fs/160⌋ .. ⌊e·fs/160⌋ − 1.
        var recording = Copy(At(rate));
        long a = 2000L * rate / PipelineRate, b = 2600L * rate / PipelineRate;
        Array.Fill(recording.Samples[recording.Info.IndexOf("C4")], 12.5f, (int)a, (int)(b - a));
        var items = Run(recording, Chunks(recording, Chunk).Where(c => c.FirstSampleIndex < 6000L * rate / PipelineRate).ToList());
        bool Flat(long e) => (e - Window) * rate / PipelineRate >= a && e * rate / PipelineRate <= b;
        Assert.Contains(items, i => Flat(i.EndSample));
        Assert.All(items, i => Assert.Equal(Flat(i.EndSample) ? FailSafeReason.FlatChannel : FailSafeReason.None, i.Reason));
        Assert.All(items.Where(i => i.Reason == FailSafeReason.FlatChannel), i => Assert.Equal("C4", i.Detail));
    }

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public void AtTheLabsRateASaturatedSampleGivesNoneForEveryWindowWhoseSourceSamplesHoldIt(int rate)
    {
        var recording = Copy(At(rate));
        long s = 4000L * rate / PipelineRate;
        recording.Samples[recording.Info.IndexOf("Fcz")][s] = 3000f;
        var items = Run(recording, Chunks(recording, Chunk).Where(c => c.FirstSampleIndex < 6000L * rate / PipelineRate).ToList());
        bool Holds(long e) => (e - Window) * rate / PipelineRate <= s && s < e * rate / PipelineRate;
        Assert.Contains(items, i => Holds(i.EndSample));
        Assert.All(items, i => Assert.Equal(Holds(i.EndSample) ? FailSafeReason.SaturatedChannel : FailSafeReason.None, i.Reason));
    }

    [Fact]
    public void AStreamThatStartsAgainAtAnotherRateIsDecodedAtItsNewRateAsIfTheStageWereNew()
    {
        // A 160 Hz stream for 20 s, then the amplifier is switched to 250 Hz (a new stream header).
        var original = TestModels.Read("S002", "R04");
        var lab = At(250);
        using var context = new StageContext();
        var items = new List<WindowItem>();
        context.Stage.Handle(new StreamStarted(new StreamDescription(original.Info, "test", "S002")), items);
        foreach (var chunk in Chunks(original, 10).Where(c => c.FirstSampleIndex < 3200))
        {
            context.Stage.Handle(new ChunkArrived(chunk, 0), items);
        }

        int before = items.Count;
        context.Stage.Handle(new StreamStarted(new StreamDescription(lab.Info, "test", "S002")), items);
        var labChunks = Chunks(lab, Chunk).Where(c => c.FirstSampleIndex < 20 * 250).ToList();
        foreach (var chunk in labChunks)
        {
            context.Stage.Handle(new ChunkArrived(chunk, chunk.FirstSampleIndex), items);
        }

        Assert.Equal(((3200 - Window) / Stride) + 1, before);
        var fresh = Run(lab, labChunks);
        var after = items.Skip(before).ToList();
        Assert.NotEmpty(fresh);
        Assert.Equal(fresh.Select(i => (i.Kind, i.EndSample, i.Reason)), after.Select(i => (i.Kind, i.EndSample, i.Reason)));
        Assert.All(after.Zip(fresh), p => Assert.Equal(p.Second.Input.AsSpan(0, 64).ToArray(), p.First.Input.AsSpan(0, 64).ToArray()));
    }

    [Theory]
    [InlineData(250)]
    [InlineData(512)]
    public void AModelSwappedInMidStreamAtTheLabsRateDecodesEveryPositionOnceAndTheNextWindowWithTheNewModel(int rate)
    {
        var recording = At(rate);
        var chunks = Chunks(recording, Chunk).Where(c => c.FirstSampleIndex < 12 * rate).ToList();
        using var context = new StageContext();
        var items = new List<WindowItem>();
        context.Stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")), items);
        DecoderModel? swappedIn = null;
        int before = 0;
        foreach (var chunk in chunks)
        {
            if (swappedIn is null && chunk.FirstSampleIndex >= 6 * rate)
            {
                swappedIn = DecoderModelLoader.Load(TestModels.S003ToS002);
                Assert.Null(context.Models.TrySwap(swappedIn, "test"));
                before = items.Count;
            }

            context.Stage.Handle(new ChunkArrived(chunk, chunk.FirstSampleIndex), items);
        }

        long computable = ComputablePipelineSamples(chunks[^1].EndSampleIndex, rate);
        Assert.All(items, i => Assert.Equal(WindowItemKind.Window, i.Kind));
        Assert.Equal(Enumerable.Range(0, (int)((computable - Window) / Stride) + 1).Select(k => (long)Window + (k * Stride)), items.Select(i => i.EndSample));
        Assert.All(items.Take(before), i => Assert.NotSame(swappedIn, i.Model));
        Assert.All(items.Skip(before), i => Assert.Same(swappedIn, i.Model));
        Assert.True(items.Count - before >= 90, $"{items.Count - before} windows after the swap");
    }

    /// <summary>Pipeline samples the live resampler can give from <paramref name="sourceSamples"/> samples: m with ⌊(m + 10)·fs/160⌋ &lt; n.</summary>
    private static long ComputablePipelineSamples(long sourceSamples, int rate) =>
        ((sourceSamples * PipelineRate) - (10L * rate) + rate - 1) / rate;

    private static long FirstEndAtOrAfter(long pipelineIndex) =>
        pipelineIndex <= Window ? Window : Window + ((pipelineIndex - Window + Stride - 1) / Stride * Stride);

    private static (double Feature, double Probability) Differences(IReadOnlyList<double[]> features, IReadOnlyList<float[]> probabilities, IReadOnlyList<Observed> online)
    {
        double worstFeature = 0, worstProbability = 0;
        for (int i = 0; i < online.Count; i++)
        {
            for (int f = 0; f < features[i].Length; f++)
            {
                double a = features[i][f], b = online[i].Input[f];
                worstFeature = Math.Max(worstFeature, Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-300));
            }

            for (int k = 0; k < probabilities[i].Length; k++)
            {
                worstProbability = Math.Max(worstProbability, Math.Abs(probabilities[i][k] - online[i].Probabilities[k]));
            }
        }

        return (worstFeature, worstProbability);
    }

    /// <summary>S002R04 at <paramref name="rate"/> Hz (each channel resampled on its own; cues at the same instants).</summary>
    private static Recording At(double rate) => Resampled.GetOrAdd(rate, r =>
    {
        var original = TestModels.Read("S002", "R04");
        var resampler = new WholeSignalResampler();
        var samples = original.Samples.Select(s => resampler.Resample(s, original.Info.SampleRateHz, r)).ToArray();
        var events = original.Events.Select(e => e with { Sample = (long)Math.Round(e.OnsetSeconds * r) }).ToArray();
        return new Recording(new SignalInfo(r, original.Info.Channels), samples, events, original.Metadata);
    });

    /// <summary>A copy to corrupt (the resampled recordings are shared between tests).</summary>
    private static Recording Copy(Recording recording) =>
        new(recording.Info, recording.Samples.Select(s => s.ToArray()).ToArray(), recording.Events, recording.Metadata);

    private static List<SampleChunk> Chunks(Recording recording, int size) =>
        Enumerable.Range(0, recording.SampleCount / size).Select(k => SampleChunk.FromChannelMajor(recording.Samples, (long)k * size, size)).ToList();

    /// <summary>Runs the chunks through a fresh stage; each chunk's arrival stamp is its first sample index.</summary>
    private static List<WindowItem> Run(Recording recording, IReadOnlyList<SampleChunk> chunks)
    {
        using var context = new StageContext();
        var items = new List<WindowItem>();
        context.Stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")), items);
        foreach (var chunk in chunks)
        {
            context.Stage.Handle(new ChunkArrived(chunk, chunk.FirstSampleIndex), items);
        }

        return items;
    }

    /// <summary>A window stage around the S001→S002 model.</summary>
    private sealed class StageContext : IDisposable
    {
        public StageContext()
        {
            var metrics = new DaemonMetrics();
            Models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
            Models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
            Stage = new WindowStage(Models, new FailSafeOptions(), new DecoderOptions(), new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
        }

        public ActiveModel Models { get; }

        public WindowStage Stage { get; }

        public void Dispose() => Models.Dispose();
    }
}
