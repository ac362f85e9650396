using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>
/// A fault in one part (a gap, a model file, the recorder, a background service) stays in that
/// part: decoding goes on or the daemon stops with a fault code, and the last datagram is none.
/// </summary>
public sealed class FaultContainmentTests
{
    private const int Window = 320;

    /// <summary>Bad model files, by case name.</summary>
    public static TheoryData<string> BadModelFiles => new()
    {
        "a tensor name null",
        "a tensor null",
        "tensors null",
        "sample_shape 2^31",
        "hidden width 1e9",
        "a zip bomb in weights.bin",
        "a zip bomb in manifest.json",
        "an entry declaring a small size that inflates to a huge one",
        "a subject's standardisation with a zero scale",
        "a subject's standardisation of one feature",
        "a standardisation warm-up of 2^31 windows",
    };

    [Fact]
    public void AGapOfAHundredMillionSamplesFollowedByNaNIsOneFailSafeEpisodeNotAnItemPerSkippedWindow()
    {
        var recording = TestModels.Read("S002", "R04");
        var metrics = new DaemonMetrics();
        using var models = new ActiveModel(metrics, NullLogger<ActiveModel>.Instance);
        models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
        var stage = new WindowStage(models, new FailSafeOptions(), new DecoderOptions(), new AcquisitionOptions(), metrics, NullLogger<WindowStage>.Instance);
        var items = new List<WindowItem>();
        stage.Handle(new StreamStarted(new StreamDescription(recording.Info, "test", "S002")), items);
        for (long first = 0; first < 640; first += 16)
        {
            stage.Handle(new ChunkArrived(SampleChunk.FromChannelMajor(recording.Samples, first, 16), 0), items);
        }

        int before = items.Count;
        var nan = SampleChunk.FromChannelMajor(recording.Samples, 640, 16);
        nan.Samples.AsSpan().Fill(float.NaN);
        stage.Handle(new ChunkArrived(new SampleChunk(100_000_000, nan.ChannelCount, 16, nan.Samples), 0), items);
        for (long first = 100_000_016; first < 100_000_016 + 640; first += 16)
        {
            var c = SampleChunk.FromChannelMajor(recording.Samples, first - 100_000_016 + 1000, 16);
            stage.Handle(new ChunkArrived(new SampleChunk(first, c.ChannelCount, 16, c.Samples), 0), items);
        }

        var after = items.Skip(before).ToList();
        Assert.True(after.Count < 100, $"{after.Count} items for a gap and 656 samples after it");
        Assert.All(after, i => Assert.True(i.EndSample > 100_000_000, $"an item for the window ending at {i.EndSample}, inside the gap"));
        Assert.Equal(1, metrics.FailSafeEpisodes(FailSafeReason.Gap));
    }

    [Theory]
    [MemberData(nameof(BadModelFiles))]
    public void ABadModelFileIsRefusedWithInvalidDataBeforeAllocatingWhatItDeclares(string badFile)
    {
        byte[] bytes = BadModel(badFile);
        // This thread's allocations only (the loader runs on it): the whole process's count also
        // holds whatever the test classes running beside this one allocate meanwhile.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => DecoderModelLoader.Load(bytes, "bad.eegdann"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("bad.eegdann: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < 2000, $"a {e.Message.Length}-character message");
        Assert.True(allocated < 64L << 20, $"refusing it allocated {allocated / 1e6:F0} MB");
    }

    [Theory]
    [InlineData("a subject's standardisation with a zero scale", "per subject: subject 'S002' needs finite 'mean' and positive 'scale'")]
    [InlineData("a standardisation warm-up of 2^31 windows", "per subject needs 'warmup_windows' from 1 to 1000000")]
    [InlineData("a subject's standardisation of one feature", "the standardisation was fitted on 1 features")]
    public void ABadPerSubjectStandardisationInAModelFileIsRefusedSayingWhat(string badFile, string expected)
    {
        using (var good = DecoderModelLoader.Load(File.ReadAllBytes(TestModels.StandardizedS001ToS002), "good.eegdann"))
        {
            Assert.NotNull(good.Fitted.SubjectStandardization!.For("S002"));
        }

        var e = Assert.Throws<InvalidDataException>(() => DecoderModelLoader.Load(BadModel(badFile), "bad.eegdann"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AModelFileWithANullTensorKeepsTheOldModelAndTheDaemonDecodingAfterwards()
    {
        var recording = TestModels.Read("S002", "R04");
        using var dir = TestData.NewTemporaryDirectory();
        string path = TestModels.CopyTo(TestModels.S001ToS002, dir.File("model.eegdann"));
        var observer = new CollectingObserver();
        using var gate = new SemaphoreSlim(0);
        var settings = DaemonRunner.Replay("unused", path);
        settings["Daemon:Decoder:WatchModel"] = "true";
        settings["Daemon:Decoder:WatchPollSeconds"] = "0.2";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";
        string? idAfter = null;
        using var run = await DaemonRunner.RunAsync(
            settings,
            services =>
            {
                services.AddSingleton<ISampleSourceFactory>(new PausingSource(recording, 4000, gate));
                services.AddSingleton<IDecodeObserver>(observer);
            },
            async host =>
            {
                var metrics = host.Services.GetRequiredService<DaemonMetrics>();
                await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 4000), "the pause");
                File.WriteAllBytes(path + ".incoming", BadModel("a tensor null"));
                File.Move(path + ".incoming", path, overwrite: true);
                await Eventually.WaitAsync(() => metrics.ModelRejections == 1 || host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the bad file rejected");
                idAfter = host.Services.GetRequiredService<ActiveModel>().Current.Id;
                gate.Release();
                await Eventually.WaitAsync(() => observer.Seen.Any(o => o.EndSample == 8000) || host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "windows after the bad file");
                host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Equal(1, run.Get<DaemonMetrics>().ModelRejections);
        Assert.Equal(run.Get<ActiveModel>().Current.Id, idAfter);
        Assert.Contains(observer.Seen, o => o.EndSample == 8000 && o.Decision.Reason == FailSafeReason.None);
    }

    [Fact]
    public async Task ABackgroundServiceThatCrashesStopsTheDaemonWithTheFaultCodeAndTheLastDatagramIsNone()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        using var crash = new SemaphoreSlim(0);
        using var run = await DaemonRunner.RunAsync(settings, services => services.AddHostedService(_ => new CrashingService(crash)), async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            crash.Release();
        });

        run.AssertExit(DaemonExitCode.Fault);
        Assert.Contains(run.Messages.SkipLast(1), m => !m.Contains("\"command\":\"none\"", StringComparison.Ordinal));
        Assert.Contains("\"command\":\"none\"", run.Messages[^1], StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"stopped\"", run.Messages[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheDaemonIsStoppedWhileCommandsFlowTheLastDatagramIsNone()
    {
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:Decoder:ConfidenceThreshold"] = "0.5";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            await Eventually.WaitAsync(() => host.Services.GetRequiredService<DaemonMetrics>().Windows == 1937, "the whole replay");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        Assert.Equal(1938, run.Messages.Count);
        Assert.DoesNotContain("\"command\":\"none\"", run.Messages[^2], StringComparison.Ordinal);
        Assert.Contains("\"command\":\"none\"", run.Messages[^1], StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"stopped\"", run.Messages[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecorderDirectoryThatCannotBeCreatedDegradesHealthAndReportsEverySampleLostWhileDecodingGoesOn()
    {
        using var dir = TestData.NewTemporaryDirectory();
        File.WriteAllText(dir.File("not-a-directory"), "a regular file");
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Recorder:Directory"] = Path.Combine(dir.File("not-a-directory"), "recordings");
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        HealthReport? health = null;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually.WaitAsync(() => metrics.Windows == 1937 || host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the whole replay");
            await Eventually.WaitAsync(() => metrics.RecorderLostSamples == 19680 || host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "every sample reported lost");
            health = host.Services.GetRequiredService<DaemonHealth>().Check();
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        var m = run.Get<DaemonMetrics>();
        Assert.Equal(1937, m.Windows);
        Assert.Equal(0, m.RecordedSamples);
        Assert.Equal(19680, m.RecorderLostSamples);
        Assert.True(m.RecorderFailures >= 1);
        Assert.Equal(HealthStatus.Degraded, health!.Status);
        Assert.Contains("recorder", health.Detail, StringComparison.Ordinal);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("not-a-directory", StringComparison.Ordinal));
        Assert.Contains(run.Logs.Lines, l => l.Message.StartsWith("Daemon summary: 19680 samples", StringComparison.Ordinal) && l.Message.Contains("recorded 0 samples (19680 received but not recorded)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheRecorderFailsMidStreamDecodingGoesOnAndEverySampleIsRecordedOrReportedLost()
    {
        var recording = TestModels.Read("S002", "R04");
        using var dir = TestData.NewTemporaryDirectory();
        string recordings = dir.File("recordings");
        using var gate = new SemaphoreSlim(0);
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Recorder:Directory"] = recordings;
        settings["Daemon:Recorder:RowGroupSeconds"] = "1";
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        settings["Daemon:Buffers:AcquisitionChunks"] = "100000";
        settings["Daemon:Buffers:Windows"] = "100000";
        settings["Daemon:Buffers:Decisions"] = "100000";
        HealthReport? health = null;
        using var run = await DaemonRunner.RunAsync(
            settings,
            services => services.AddSingleton<ISampleSourceFactory>(new PausingSource(recording, 4000, gate, gapAfterPause: true)),
            async host =>
            {
                var metrics = host.Services.GetRequiredService<DaemonMetrics>();
                var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
                await Eventually.WaitAsync(() => metrics.RecordedSamples >= 3840 || lifetime.ApplicationStopping.IsCancellationRequested, "the first stretch recorded");

                // The disk goes away: the folder becomes a file, so the next recording (after the gap) cannot be created.
                // The recorder may still be writing into the folder while it is deleted ("Directory not empty"): try again.
                await Eventually.WaitAsync(() => ReplaceFolderByFile(recordings), "the recordings folder replaced by a file");
                gate.Release();
                await Eventually.WaitAsync(() => metrics.Samples == 19680 - 160 || lifetime.ApplicationStopping.IsCancellationRequested, "every chunk after the failure received");
                await Eventually.WaitAsync(() => metrics.RecordedSamples + metrics.RecorderLostSamples == metrics.Samples || lifetime.ApplicationStopping.IsCancellationRequested, "every sample accounted for");
                health = host.Services.GetRequiredService<DaemonHealth>().Check();
                lifetime.StopApplication();
            });

        run.AssertExit(DaemonExitCode.Success);
        var m = run.Get<DaemonMetrics>();
        // Every window position after the gap's restart is decoded: 1937 positions, 16 inside the gap, 31 fail-safe after it.
        Assert.Equal(1937 - 16 - 31, m.Windows);
        Assert.True(m.RecorderLostSamples > 0);
        Assert.Equal(m.Samples, m.RecordedSamples + m.RecorderLostSamples);
        Assert.Equal(HealthStatus.Degraded, health!.Status);
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("samples are not recorded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoppingARecorderBehindAStreamOfManyGapsReportsWhatItCouldNotWriteInsteadOfDroppingItSilently()
    {
        var recording = TestModels.Read("S002", "R04");
        using var dir = TestData.NewTemporaryDirectory();
        var (settings, events) = RecordedScript(recording, dir.Path, "gappy");

        // 4000 chunks of 4 samples, each after a one-sample gap: every chunk is a recording of its own.
        for (int k = 0; k < 4000; k++)
        {
            long first = 5L * k;
            var c = SampleChunk.FromChannelMajor(recording.Samples, first % 19000, 4);
            events.Add(new ChunkArrived(new SampleChunk(first, c.ChannelCount, 4, c.Samples), System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<ISampleSourceFactory>(new ScriptedSource(events, SourcePacing.Live)), async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually.WaitAsync(() => metrics.Samples == 16000, "every chunk received");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        run.AssertExit(DaemonExitCode.Success);
        var m = run.Get<DaemonMetrics>();
        Assert.Equal(16000, m.Samples);
        Assert.Equal(m.Samples, m.RecordedSamples + m.RecorderLostSamples);
        var written = Directory.GetFiles(dir.Path, "*.parquet").Length;
        if (m.RecorderLostSamples > 0)
        {
            Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains($"{m.RecorderLostSamples} received samples were not recorded", StringComparison.Ordinal));
        }

        Assert.True(written >= 1);
    }

    [Fact]
    public async Task StoppingAnUnpacedReplayWaitingForRoomReportsTheChunkInHandLostInsteadOfDroppingItSilently()
    {
        // Buffers of one chunk: at the stop the replay (it waits for room) almost surely holds a
        // chunk counted as received but not yet handed to the recorder. The soak found 8 samples
        // in 24 h neither recorded nor reported lost.
        using var dir = TestData.NewTemporaryDirectory();
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Replay:StopAtEnd"] = "false";
        settings["Daemon:Replay:Loop"] = "true";
        settings["Daemon:Recorder:Directory"] = dir.Path;
        settings["Daemon:Buffers:AcquisitionChunks"] = "1";
        settings["Daemon:Buffers:RecorderChunks"] = "1";
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually.WaitAsync(() => metrics.Samples > 8000, "the replay running");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        var m = run.Get<DaemonMetrics>();
        Assert.Equal(m.Samples, m.RecordedSamples + m.RecorderLostSamples);
    }

    [Fact]
    public async Task ALiveStreamOfLargeChunksOutrunningTheRecorderIsBoundedInBytesAndReportsWhatItDropped()
    {
        // 40 chunks of 4096 samples × 64 channels (1 MB each) at once, 2 MB allowed in the
        // recorder's queue: by chunks (8192) all would queue; by bytes most are reported lost.
        var recording = TestModels.Read("S002", "R04");
        using var dir = TestData.NewTemporaryDirectory();
        var (settings, events) = RecordedScript(recording, dir.Path, "large");
        settings["Daemon:Buffers:RecorderMegabytes"] = "2";
        settings["Daemon:Buffers:AcquisitionChunks"] = "64";
        for (int k = 0; k < 40; k++)
        {
            var c = SampleChunk.FromChannelMajor(recording.Samples, (4096L * k) % 12000, 4096);
            events.Add(new ChunkArrived(new SampleChunk(4096L * k, c.ChannelCount, 4096, c.Samples), System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        using var run = await DaemonRunner.RunAsync(settings, services => services.AddSingleton<ISampleSourceFactory>(new ScriptedSource(events, SourcePacing.Live)), async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually.WaitAsync(() => metrics.RecordedSamples + metrics.RecorderLostSamples == 40 * 4096, "every chunk recorded or reported lost");
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        });

        var m = run.Get<DaemonMetrics>();
        Assert.Equal(m.Samples, m.RecordedSamples + m.RecorderLostSamples);
        Assert.True(m.RecorderLostSamples >= 20 * 4096, $"{m.RecorderLostSamples} samples reported lost");
        Assert.Contains(run.Logs.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("The recorder is behind", StringComparison.Ordinal));
    }

    /// <summary>Settings for a scripted source of <paramref name="recording"/>'s shape recorded into <paramref name="directory"/> (the stale watchdog out of the way), and the script's start.</summary>
    private static (Dictionary<string, string?> Settings, List<SourceEvent> Events) RecordedScript(Recording recording, string directory, string name)
    {
        var settings = DaemonRunner.Replay("unused", TestModels.S001ToS002);
        settings["Daemon:Recorder:Directory"] = directory;
        settings["Daemon:FailSafe:StaleAfterMilliseconds"] = "600000";
        return (settings, [new StreamStarted(new StreamDescription(recording.Info, name, "S002"))]);
    }

    internal static byte[] BadModel(string name)
    {
        var good = File.ReadAllBytes(TestModels.S001ToS002);
        return name switch
        {
            "a tensor name null" => EditManifest(good, m => m["tensors"]![0]!["name"] = null),
            "a tensor null" => EditManifest(good, m => m["tensors"]![0] = null),
            "tensors null" => EditManifest(good, m => m["tensors"] = null),
            "sample_shape 2^31" => EditManifest(good, m => m["network"]!["sample_shape"] = new JsonArray(int.MaxValue)),
            "hidden width 1e9" => EditManifest(good, m => m["network"]!["extractor"]!["hidden_sizes"] = new JsonArray(1_000_000_000)),
            "a zip bomb in weights.bin" => Rezip(good, "weights.bin", new byte[600 << 20]),
            "a zip bomb in manifest.json" => Rezip(good, "manifest.json", System.Text.Encoding.ASCII.GetBytes(new string(' ', 300 << 20))),
            "an entry declaring a small size that inflates to a huge one" => LyingSize(Rezip(good, "weights.bin", new byte[600 << 20])),
            "a subject's standardisation with a zero scale" => EditManifest(Standardized(), m => SubjectStandardization(m)["subjects"]!["S002"]!["scale"]![0] = 0),
            "a subject's standardisation of one feature" => EditManifest(Standardized(), m =>
            {
                var s002 = SubjectStandardization(m)["subjects"]!["S002"]!;
                s002["mean"] = new JsonArray(0.5);
                s002["scale"] = new JsonArray(2.0);
            }),
            "a standardisation warm-up of 2^31 windows" => EditManifest(Standardized(), m => SubjectStandardization(m)["warmup_windows"] = int.MaxValue),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such bad file"),
        };
    }

    /// <summary>A model standardised per subject (with S001's and S002's statistics).</summary>
    private static byte[] Standardized() => File.ReadAllBytes(TestModels.StandardizedS001ToS002);

    /// <summary>The fitted pipeline's per-subject standardisation in a model's manifest.</summary>
    private static JsonNode SubjectStandardization(JsonObject manifest) =>
        manifest["context"]!["fitted_stages"]![0]!["state"]!["subject_standardization"]!;

    private static byte[] EditManifest(byte[] model, Action<JsonObject> edit)
    {
        using var zip = new ZipArchive(new MemoryStream(model), ZipArchiveMode.Read);
        using var reader = zip.GetEntry("manifest.json")!.Open();
        var manifest = JsonNode.Parse(reader)!.AsObject();
        edit(manifest);
        return Rezip(model, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest));
    }

    private static byte[] Rezip(byte[] model, string entryName, byte[] content)
    {
        var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(model), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                var copy = target.CreateEntry(entry.FullName, CompressionLevel.Fastest);
                using var to = copy.Open();
                if (entry.FullName == entryName)
                {
                    to.Write(content);
                }
                else
                {
                    using var from = entry.Open();
                    from.CopyTo(to);
                }
            }
        }

        return output.ToArray();
    }

    /// <summary>Rewrites every declared uncompressed size of a zip (local headers and central directory) to 1000 bytes.</summary>
    private static byte[] LyingSize(byte[] zip)
    {
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint signature = BitConverter.ToUInt32(zip, i);
            if (signature == 0x04034b50 && i + 26 <= zip.Length)
            {
                BitConverter.TryWriteBytes(zip.AsSpan(i + 22), 1000u);
            }
            else if (signature == 0x02014b50 && i + 28 <= zip.Length)
            {
                BitConverter.TryWriteBytes(zip.AsSpan(i + 24), 1000u);
            }
        }

        return zip;
    }

    private sealed class CrashingService(SemaphoreSlim crash) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await crash.WaitAsync(stoppingToken);
#pragma warning disable CA2201 // the test stands for a bug, and this is the exception a bug throws
            throw new NullReferenceException("a watcher's bug");
#pragma warning restore CA2201
        }
    }

    /// <summary>Plays a recording in chunks of 16 as fast as the daemon takes them, waiting at one sample until released; optionally skips 160 samples there (a gap).</summary>
    private sealed class PausingSource(Recording recording, long pauseAt, SemaphoreSlim gate, bool gapAfterPause = false) : ISampleSource, ISampleSourceFactory
    {
        public string Name => "pausing";

        public SourcePacing Pacing => SourcePacing.Unpaced;

        public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

        public async IAsyncEnumerable<SourceEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new StreamStarted(new StreamDescription(recording.Info, "pausing", "S002"));
            for (long start = 0; start < recording.SampleCount; start += 16)
            {
                if (start == pauseAt)
                {
                    await gate.WaitAsync(cancellationToken);
                    if (gapAfterPause)
                    {
                        start += 160;
                    }
                }

                int n = (int)Math.Min(16, recording.SampleCount - start);
                yield return new ChunkArrived(SampleChunk.FromChannelMajor(recording.Samples, start, n), System.Diagnostics.Stopwatch.GetTimestamp());
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    /// <summary>Deletes <paramref name="folder"/> and writes a file in its place; false when a writer inside it got in the way (call again).</summary>
    private static bool ReplaceFolderByFile(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            File.WriteAllText(folder, "in the way");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
