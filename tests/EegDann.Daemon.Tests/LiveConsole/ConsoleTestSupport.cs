using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Options;
using EegDann.Pipelines.UseCases;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests.LiveConsole;

/// <summary>
/// The real replay of a shipped recording, looping at real time, that can be told to turn one
/// channel into NaN for a number of samples (a disconnected lead as an amplifier reports it).
/// </summary>
internal sealed class BurstingReplay(string path, double speed = 1.0) : ISampleSourceFactory
{
    private int _burstLeft;
    private int _channel = -1;
    private ReplaySource? _replay;

    /// <summary>Samples turned into NaN so far.</summary>
    public int BurstSamples { get; private set; }

    public async Task<ISampleSource> CreateAsync(CancellationToken cancellationToken)
    {
        _replay = await ReplaySource.OpenAsync(new ReplayOptions { Path = path, Speed = speed, Loop = true, ChunkSamples = 8 }, cancellationToken);
        return new Source(this, _replay);
    }

    /// <summary>The next <paramref name="samples"/> samples of <paramref name="channel"/> become NaN.</summary>
    public void Burst(string channel, int samples)
    {
        _channel = _replay!.Description.Info.IndexOf(channel);
        Assert.True(_channel >= 0, $"no channel {channel}");
        Volatile.Write(ref _burstLeft, samples);
    }

    private SourceEvent Apply(SourceEvent e)
    {
        if (e is not ChunkArrived chunk || Volatile.Read(ref _burstLeft) <= 0)
        {
            return e;
        }

        var c = chunk.Chunk;
        var copy = c.Span.ToArray();
        for (int s = 0; s < c.SampleCount && _burstLeft > 0; s++, _burstLeft--, BurstSamples++)
        {
            copy[(s * c.ChannelCount) + _channel] = float.NaN;
        }

        return chunk with { Chunk = new SampleChunk(c.FirstSampleIndex, c.ChannelCount, c.SampleCount, copy) };
    }

    private sealed class Source(BurstingReplay owner, ReplaySource inner) : ISampleSource, IAsyncDisposable
    {
        public string Name => inner.Name + " (with NaN bursts on demand)";

        public SourcePacing Pacing => inner.Pacing;

        public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var e in inner.ReadAsync(cancellationToken))
            {
                yield return owner.Apply(e);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>HTTP against the daemon's endpoint, by hand (one request per connection, as the daemon serves).</summary>
internal static class ConsoleHttp
{
    public static async Task<(string Head, byte[] Body)> GetAsync(IPEndPoint endpoint, string target, string method = "GET")
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer);
        var bytes = answer.ToArray();
        int split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        return (Encoding.ASCII.GetString(bytes, 0, split), bytes[(split + 4)..]);
    }

    /// <summary>Opens the event stream and reads until <paramref name="frames"/> frames arrived; returns the head and the frames' JSON.</summary>
    public static async Task<(string Head, List<string> Frames)> EventsAsync(IPEndPoint endpoint, int frames)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var head = new StringBuilder();
        string? line;
        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync()))
        {
            head.AppendLine(line);
        }

        var list = new List<string>();
        while (list.Count < frames && (line = await reader.ReadLineAsync()) != null)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                list.Add(line[6..]);
            }
        }

        return (head.ToString(), list);
    }
}

/// <summary>A model calibrated by calibrate-new-subject on the shipped recordings (S001 → S002, the default pipeline), with its report beside it; made once per test run.</summary>
internal static class CalibratedModel
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    public static async Task<string> PathAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_path != null)
            {
                return _path;
            }

            string folder = Path.Combine(Path.GetTempPath(), $"eegdann-console-model-{Environment.ProcessId}");
            Directory.CreateDirectory(folder);
            string model = Path.Combine(folder, "s002.eegdann");
            string[] runs = ["R04", "R08", "R12"];
            var request = new CalibrateRequest
            {
                Pipeline = EegDann.Pipelines.Definitions.PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-fb-dann.json")),
                Sources = runs.Select(r => RecordingInput.FromPath(TestModels.RecordingPath("S001", r))).ToArray(),
                Targets = runs.Select(r => RecordingInput.FromPath(TestModels.RecordingPath("S002", r))).ToArray(),
                ModelPath = model,
            };
            using var outcome = await TestModels.TrainingAloneAsync(() => CalibrateNewSubject.RunAsync(request, NullLogger.Instance));
            _path = model;
            return model;
        }
        finally
        {
            Gate.Release();
        }
    }
}
