using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Processing;
using Microsoft.Extensions.Logging;

namespace EegDann.Daemon.Tests;

/// <summary>A source that plays a fixed list of events as fast as the daemon takes them.</summary>
internal sealed class ScriptedSource(IReadOnlyList<SourceEvent> events, SourcePacing pacing = SourcePacing.Unpaced) : ISampleSource, ISampleSourceFactory
{
    public string Name => $"scripted ({events.Count} events)";

    public SourcePacing Pacing => pacing;

    public Task<ISampleSource> CreateAsync(CancellationToken cancellationToken) => Task.FromResult<ISampleSource>(this);

    public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }

        await Task.CompletedTask;
    }

    /// <summary>A recording as a stream: a start, its samples in chunks, a stop.</summary>
    public static List<SourceEvent> FromRecording(Recording recording, int chunk, long indexOffset = 0)
    {
        var events = new List<SourceEvent> { new StreamStarted(new StreamDescription(recording.Info, "scripted", recording.Metadata.Subject)) };
        for (int start = 0; start < recording.SampleCount; start += chunk)
        {
            int n = Math.Min(chunk, recording.SampleCount - start);
            var c = SampleChunk.FromChannelMajor(recording.Samples, start, n);
            events.Add(new ChunkArrived(new SampleChunk(c.FirstSampleIndex + indexOffset, c.ChannelCount, n, c.Samples), System.Diagnostics.Stopwatch.GetTimestamp()));
        }

        events.Add(new StreamStopped("end of script"));
        return events;
    }
}

/// <summary>One decided window as the observer saw it.</summary>
internal sealed record Observed(WindowItemKind Kind, long EndSample, double[] Input, float[] Probabilities, Decision Decision);

/// <summary>Keeps every decision with its window's input and the network's probabilities.</summary>
internal sealed class CollectingObserver : IDecodeObserver
{
    private readonly ConcurrentQueue<Observed> _seen = new();

    public IReadOnlyList<Observed> Seen => _seen.ToArray();

    public void OnDecoded(in WindowItem item, ReadOnlySpan<double> input, ReadOnlySpan<float> probabilities, Decision decision) =>
        _seen.Enqueue(new Observed(item.Kind, item.EndSample, input.ToArray(), probabilities.ToArray(), decision));
}

/// <summary>Keeps log lines (level and rendered message).</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? string.Empty : " | " + exception.Message)));
            }
        }
    }
}
