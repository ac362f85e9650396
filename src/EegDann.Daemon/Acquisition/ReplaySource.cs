using System.Diagnostics;
using System.Runtime.CompilerServices;
using EegDann.Core;
using EegDann.Daemon.Options;
using EegDann.Recordings.Parquet;

namespace EegDann.Daemon.Acquisition;

/// <summary>
/// Replays a Parquet recording as a live stream: chunks of <see cref="ReplayOptions.ChunkSamples"/>
/// released at real time × <see cref="ReplayOptions.Speed"/> (each chunk when its last sample is
/// due), or as fast as the daemon takes them when the speed is 0. Reads one row group at a time.
/// </summary>
public sealed class ReplaySource : ISampleSource, IAsyncDisposable
{
    private readonly ParquetSampleReader _reader;
    private readonly ReplayOptions _options;

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
        int channels = _reader.Info.ChannelCount;
        int chunk = _options.ChunkSamples;
        double rate = _reader.Info.SampleRateHz;
        double ticksPerStreamSample = _options.Speed > 0 ? Stopwatch.Frequency / (rate * _options.Speed) : 0;
        long start = Stopwatch.GetTimestamp();
        long offset = 0;
        do
        {
            await foreach (var block in _reader.ReadBlocksAsync(0, cancellationToken))
            {
                for (int done = 0; done < block.Length; done += chunk)
                {
                    int count = Math.Min(chunk, block.Length - done);
                    long first = offset + block.FirstSample + done;
                    var values = new float[count * channels];
                    for (int c = 0; c < channels; c++)
                    {
                        var source = block.Samples[c].AsSpan(done, count);
                        for (int s = 0; s < count; s++)
                        {
                            values[(s * channels) + c] = source[s];
                        }
                    }

                    if (ticksPerStreamSample > 0)
                    {
                        // The chunk is due when its last sample would have been acquired.
                        long due = start + (long)((first + count) * ticksPerStreamSample);
                        await WaitUntilAsync(due, cancellationToken);
                    }

                    yield return new ChunkArrived(new SampleChunk(first, channels, count, values), Stopwatch.GetTimestamp());
                }
            }

            offset += _reader.SampleCount;
        }
        while (_options.Loop && !cancellationToken.IsCancellationRequested);

        yield return new StreamStopped("end of the recording");
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _reader.DisposeAsync();

    private static async Task WaitUntilAsync(long due, CancellationToken cancellationToken)
    {
        long remaining = due - Stopwatch.GetTimestamp();
        if (remaining > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), cancellationToken);
        }
    }
}
