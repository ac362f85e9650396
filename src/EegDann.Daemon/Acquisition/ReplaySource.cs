using System.Diagnostics;
using System.Runtime.CompilerServices;
using EegDann.Core;
using EegDann.Daemon.Options;
using EegDann.Recordings.Parquet;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// Replays a Parquet recording as a live stream: chunks of <see cref="ReplayOptions.ChunkSamples"/>
/// released at real time × <see cref="ReplayOptions.Speed"/> (each chunk when its last sample is
/// due), or as fast as the daemon takes them when the speed is 0. Reads one row group ahead, on the
/// thread pool.
/// </summary>
public sealed class ReplaySource : ISampleSource, IAsyncDisposable
{
    private readonly ParquetSampleReader _reader;
    private readonly ReplayOptions _options;
    private int _readsUnderWay;

    private ReplaySource(ParquetSampleReader reader, ReplayOptions options)
    {
        _reader = reader;
        _options = options;
        Description = new StreamDescription(
            reader.Info,
            System.IO.Path.GetFileName(reader.Path),
            reader.Metadata.Subject,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["replay_of"] = reader.Path,
                ["replay_run"] = reader.Metadata.Run ?? string.Empty,
            });
    }

    /// <inheritdoc />
    public string Name => $"replay {_reader.Path} " + (_options.Speed > 0 ? $"×{_options.Speed:G4}" : "as fast as possible") + (_options.Loop ? ", looping" : string.Empty);

    /// <inheritdoc />
    public SourcePacing Pacing => _options.Speed > 0 ? SourcePacing.Live : SourcePacing.Unpaced;

    /// <summary>The stream the replay delivers.</summary>
    public StreamDescription Description { get; }

    /// <summary>Samples per channel in the recording.</summary>
    public long SampleCount => _reader.SampleCount;

    /// <summary>Opens and checks the recording.</summary>
    /// <exception cref="EegDann.Recordings.RecordingFormatException">When it is missing or not a valid recording (the message names the file).</exception>
    public static async Task<ReplaySource> OpenAsync(ReplayOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new DaemonSettingsException($"{ReplayOptions.SectionName}:Path", "is required when the source is Replay (--replay FILE).");
        }

        var reader = await ParquetSampleReader.OpenAsync(options.Path, cancellationToken);
        if (reader.SampleCount == 0)
        {
            await reader.DisposeAsync();
            throw new InvalidDataException($"{options.Path}: the recording has no samples to replay.");
        }

        return new ReplaySource(reader, options);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new StreamStarted(Description);
        double rate = _reader.Info.SampleRateHz;
        double ticksPerStreamSample = _options.Speed > 0 ? Stopwatch.Frequency / (rate * _options.Speed) : 0;
        long start = Stopwatch.GetTimestamp();
        long offset = 0;
        do
        {
            // The next row group is read, decoded and cut into chunks on the thread pool while this
            // one is streamed, as a live source's acquisition runs beside the control path (one row
            // group ahead).
            var next = ReadAheadAsync(0, offset, cancellationToken);
            try
            {
                for (int g = 0; next != null; g++)
                {
                    var chunks = await next;
                    next = g + 1 < _reader.BlockCount ? ReadAheadAsync(g + 1, offset, cancellationToken) : null;
                    foreach (var chunk in chunks)
                    {
                        if (ticksPerStreamSample > 0)
                        {
                            // The chunk is due when its last sample would have been acquired.
                            long due = start + (long)((chunk.FirstSampleIndex + chunk.SampleCount) * ticksPerStreamSample);
                            await WaitUntilAsync(due, cancellationToken);
                        }

                        yield return new ChunkArrived(chunk, Stopwatch.GetTimestamp());
                    }
                }
            }
            finally
            {
                // Stopped early, or failed: the read under way ends before the reader can be disposed.
                if (next != null)
                {
                    await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }

            offset += _reader.SampleCount;
        }
        while (_options.Loop && !cancellationToken.IsCancellationRequested);

        yield return new StreamStopped("end of the recording");
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _reader.DisposeAsync();

    /// <summary>Row groups being read ahead right now (0 or 1; 0 whenever the enumeration of <see cref="ReadAsync"/> has ended).</summary>
    internal int ReadsUnderWay => Volatile.Read(ref _readsUnderWay);

    /// <summary>Row group <paramref name="index"/> read and cut into chunks on the thread pool.</summary>
    private Task<SampleChunk[]> ReadAheadAsync(int index, long offset, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                Interlocked.Increment(ref _readsUnderWay);
                try
                {
                    return Chunks(await _reader.ReadBlockAsync(index, cancellationToken), offset);
                }
                finally
                {
                    Interlocked.Decrement(ref _readsUnderWay);
                }
            },
            cancellationToken);

    /// <summary>A row group in chunks of <see cref="ReplayOptions.ChunkSamples"/>, sample-major, numbered from <paramref name="offset"/> (the loops before).</summary>
    private SampleChunk[] Chunks(EegDann.Recordings.SampleBlock block, long offset)
    {
        int channels = _reader.Info.ChannelCount;
        int size = _options.ChunkSamples;
        var chunks = new SampleChunk[(block.Length + size - 1) / size];
        for (int k = 0; k < chunks.Length; k++)
        {
            int done = k * size;
            int count = Math.Min(size, block.Length - done);
            var values = new float[count * channels];
            for (int c = 0; c < channels; c++)
            {
                var source = block.Samples[c].AsSpan(done, count);
                for (int s = 0; s < count; s++)
                {
                    values[(s * channels) + c] = source[s];
                }
            }

            chunks[k] = new SampleChunk(offset + block.FirstSample + done, channels, count, values);
        }

        return chunks;
    }

    private static async Task WaitUntilAsync(long due, CancellationToken cancellationToken)
    {
        long remaining = due - Stopwatch.GetTimestamp();
        if (remaining > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), cancellationToken);
        }
    }
}
