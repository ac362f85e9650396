using System.Buffers.Binary;
using System.Text.Json;
using EegDann.Core;
using Parquet;
using Parquet.Schema;

namespace EegDann.Recordings.Parquet;

/// <summary>
/// Writes a recording incrementally, as a live stream arrives, so that a crash (even kill -9 or a
/// power cut) loses at most the row group being filled. The session recorder of the daemon and
/// <c>eegdann lsl record</c> use it.
/// </summary>
/// <remarks>
/// <para>Files: samples go to <c>NAME.parquet.part</c>; beside it <c>NAME.parquet.part.state</c>
/// (JSON, replaced atomically) records the last durable state. <see cref="CompleteAsync(CancellationToken)"/> writes
/// the events file and renames the part file to <c>NAME.parquet</c>; <see cref="RecoverAsync"/> does
/// the same for a part file left behind by a crash.</para>
/// <para>How it survives a crash: after each row group the part file is a complete Parquet file
/// (Parquet.Net's append mode writes the new row group over the old footer, then a new footer), and
/// is flushed to disk. Only then is the state file replaced; it holds the byte offset where the
/// footer starts, the footer bytes themselves (footer, its length, <c>PAR1</c>), the number of
/// samples and the events so far. A crash while appending the next row group leaves the old data
/// intact below that offset, so recovery truncates the part file there and writes the saved footer
/// back: the file is then exactly the last durable state. A crash between flushing the part file
/// and replacing the state file leaves a part file that is itself valid and one row group ahead;
/// recovery keeps it as it is.</para>
/// <para>Why a part file holds a bounded number of row groups (<see cref="MaxRowGroups"/>): a
/// Parquet footer lists every row group, and each commit reads it back (append mode), writes it
/// anew and saves it in the state file, so a commit's work and memory grow with the file. Measured
/// (<c>bench -- recorder-commit</c>, 64 channels at 160 Hz, 5 s row groups): 2.9 MB allocated and
/// 77 ms per commit over the first 60 row groups, 44 MB and 234 ms at 720 (an hour), which held the
/// day-long soak at the recorder's pace and its managed heap at 230–630 MB. A writer refuses samples
/// beyond <see cref="SampleCapacity"/>; the session recorder completes the file there and continues
/// the stream in the next one, so every commit costs the same however long the session.</para>
/// <para>Writing is this file; the state file's format and recovery from it are RecordingPartWriter.Recovery.cs.</para>
/// <para>Not thread-safe: one writer, one caller.</para>
/// </remarks>
public sealed partial class RecordingPartWriter : IAsyncDisposable
{
    /// <summary>Suffix of the part file after the final samples path.</summary>
    public const string PartSuffix = ".part";

    /// <summary>Suffix of the state file after the part file's path.</summary>
    public const string StateSuffix = ".state";

    /// <summary>Default bound on row groups per file: 120 (10 minutes at 5 s row groups).</summary>
    public const int DefaultMaxRowGroups = 120;

    private readonly string finalPath;
    private readonly FileStream stream;
    private readonly ParquetSchema schema;
    private readonly ParquetOptions options;
    private RecordingMetadata metadata;
    private readonly float[][] buffer;
    private readonly long[] indexBuffer;
    private readonly List<RecordingEvent> events = [];
    private int buffered;
    private bool closed;
    private byte[] tail = [];

    private RecordingPartWriter(string finalPath, FileStream stream, SignalInfo info, RecordingMetadata metadata, int rowsPerGroup, int maxRowGroups)
    {
        MaxRowGroups = maxRowGroups;
        indexBuffer = new long[rowsPerGroup];
        this.finalPath = finalPath;
        this.stream = stream;
        Info = info;
        this.metadata = metadata;
        schema = RecordingParquet.SamplesSchema(info);
        options = RecordingParquet.WriterOptions(info);
        RowsPerGroup = rowsPerGroup;
        buffer = new float[info.ChannelCount][];
        for (int c = 0; c < buffer.Length; c++)
        {
            buffer[c] = new float[rowsPerGroup];
        }
    }

    /// <summary>
    /// Called before each commit makes samples durable (e.g. to make durable first what belongs to them in another
    /// file: <c>lsl record</c>'s time stamps), on the appending caller's thread; an exception stops the commit.
    /// </summary>
    public Action? BeforeCommit { get; set; }

    /// <summary>Rate and channels of the stream.</summary>
    public SignalInfo Info { get; }

    /// <summary>Samples per row group.</summary>
    public int RowsPerGroup { get; }

    /// <summary>Row groups this file may hold at most (its footer, and so a commit's work, stays bounded).</summary>
    public int MaxRowGroups { get; }

    /// <summary>Samples per channel this file may hold at most: <see cref="MaxRowGroups"/> × <see cref="RowsPerGroup"/>.</summary>
    public long SampleCapacity => (long)MaxRowGroups * RowsPerGroup;

    /// <summary>Samples per channel already on disk in complete row groups (what a crash keeps).</summary>
    public long DurableSamples { get; private set; }

    /// <summary>Index of the next sample <see cref="AppendAsync"/> expects.</summary>
    public long NextSample => DurableSamples + buffered;

    /// <summary>The part file.</summary>
    public string PartPath => finalPath + PartSuffix;

    /// <summary>The state file.</summary>
    public string StatePath => PartPath + StateSuffix;

    /// <summary>The samples file <see cref="CompleteAsync(CancellationToken)"/> produces.</summary>
    public string FinalPath => finalPath;

    /// <summary>Starts a part file for <paramref name="samplesPath"/>.</summary>
    /// <param name="samplesPath">The final samples file (<c>NAME.parquet</c>); neither it nor its part file may exist.</param>
    /// <param name="info">Rate and channels of the stream.</param>
    /// <param name="metadata">Subject, session, run… (written into every footer).</param>
    /// <param name="rowGroupSeconds">Seconds per row group: the most a crash can lose.</param>
    /// <param name="maxRowGroups">Row groups the file may hold at most, ≥ 1 (see the remarks).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="IOException">When the final or part file already exists, or the folder cannot be written.</exception>
    public static async Task<RecordingPartWriter> CreateAsync(string samplesPath, SignalInfo info, RecordingMetadata metadata, double rowGroupSeconds = ParquetRecordingWriter.DefaultRowGroupSeconds, int maxRowGroups = DefaultMaxRowGroups, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRowGroups);
        ArgumentException.ThrowIfNullOrEmpty(samplesPath);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowGroupSeconds);
        string full = Path.GetFullPath(samplesPath);
        if (File.Exists(full))
        {
            throw new IOException($"{full} already exists; a recording is never overwritten by a live session.");
        }

        var stream = new FileStream(full + PartSuffix, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        var writer = new RecordingPartWriter(full, stream, info, metadata with { EegDannVersion = metadata.EegDannVersion ?? EegDannVersion.Current }, ParquetRecordingWriter.RowsPerGroup(info.SampleRateHz, rowGroupSeconds), maxRowGroups);
        try
        {
            await writer.CommitAsync(append: false, cancellationToken);
            return writer;
        }
        catch
        {
            await stream.DisposeAsync();
            File.Delete(full + PartSuffix);
            throw;
        }
    }

    /// <summary>Appends a block; it must start at <see cref="NextSample"/>. Full row groups are written and made durable as they fill.</summary>
    /// <exception cref="ArgumentException">When the block does not start at <see cref="NextSample"/> (a gap or overlap) or has the wrong channel count.</exception>
    /// <exception cref="InvalidOperationException">When the block would take the file beyond <see cref="SampleCapacity"/>.</exception>
    public async Task AppendAsync(SampleBlock block, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.Samples.Length != Info.ChannelCount)
        {
            throw new ArgumentException($"block has {block.Samples.Length} channels, the recording {Info.ChannelCount}.", nameof(block));
        }

        CheckAppend(block.FirstSample, block.Length, nameof(block));
        int done = 0;
        while (done < block.Length)
        {
            int take = Math.Min(RowsPerGroup - buffered, block.Length - done);
            for (int c = 0; c < buffer.Length; c++)
            {
                block.Samples[c].AsSpan(done, take).CopyTo(buffer[c].AsSpan(buffered));
            }

            await AddedAsync(take, cancellationToken);
            done += take;
        }
    }

    /// <summary>Appends samples given sample-major (<c>[s0c0, s0c1, …, s1c0, …]</c>), as the TCP protocol carries them; copied straight into the row-group buffer (no allocation).</summary>
    /// <exception cref="ArgumentException">As <see cref="AppendAsync"/>, or when the values are not whole samples.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="AppendAsync"/>.</exception>
    public async Task AppendInterleavedAsync(long firstSample, ReadOnlyMemory<float> sampleMajor, CancellationToken cancellationToken = default)
    {
        int channels = Info.ChannelCount;
        if (sampleMajor.Length % channels != 0)
        {
            throw new ArgumentException($"{sampleMajor.Length} values are not a whole number of {channels}-channel samples.", nameof(sampleMajor));
        }

        int count = sampleMajor.Length / channels;
        CheckAppend(firstSample, count, nameof(firstSample));
        int done = 0;
        while (done < count)
        {
            int take = Math.Min(RowsPerGroup - buffered, count - done);
            Transpose(sampleMajor.Span.Slice(done * channels, take * channels), channels, buffered);
            await AddedAsync(take, cancellationToken);
            done += take;
        }
    }

    private void Transpose(ReadOnlySpan<float> sampleMajor, int channels, int at)
    {
        int count = sampleMajor.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            var target = buffer[c].AsSpan(at, count);
            for (int s = 0; s < count; s++)
            {
                target[s] = sampleMajor[(s * channels) + c];
            }
        }
    }

    private void CheckAppend(long firstSample, int count, string parameter)
    {
        ObjectDisposedException.ThrowIf(closed, this);
        if (firstSample != NextSample)
        {
            throw new ArgumentException($"block starts at sample {firstSample}, expected {NextSample}: a recording is one gap-free stream; start a new recording after a gap.", parameter);
        }

        if (NextSample + count > SampleCapacity)
        {
            throw new InvalidOperationException($"{PartPath}: {count} more samples would exceed the file's bound of {MaxRowGroups} row groups ({SampleCapacity} samples); complete it and continue in a new file.");
        }
    }

    /// <summary><paramref name="count"/> samples were copied into the buffer: commits the row group when it is full.</summary>
    private async Task AddedAsync(int count, CancellationToken cancellationToken)
    {
        buffered += count;
        if (buffered == RowsPerGroup)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>Adds an event; it becomes durable with the next row group.</summary>
    public void AddEvent(RecordingEvent recordingEvent)
    {
        ArgumentNullException.ThrowIfNull(recordingEvent);
        ObjectDisposedException.ThrowIf(closed, this);
        events.Add(recordingEvent);
    }

    /// <summary>Writes the samples buffered so far as a (possibly short) row group and makes it durable.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(closed, this);
        if (buffered == 0)
        {
            return;
        }

        await CommitAsync(append: true, cancellationToken);
    }

    /// <summary>Flushes, writes the events file, renames the part file to the final samples file and removes the state file.</summary>
    /// <returns>The final samples path.</returns>
    public Task<string> CompleteAsync(CancellationToken cancellationToken = default) => CompleteAsync(null, cancellationToken);

    /// <summary>
    /// As <see cref="CompleteAsync(CancellationToken)"/>, with <paramref name="finalMetadata"/> (when not null) in the
    /// final footer instead of the metadata given at the start: what is only known at the end of a stream (its last
    /// time stamp, samples lost). Row groups already written are kept as they are; a crash before this keeps the first metadata.
    /// </summary>
    /// <returns>The final samples path.</returns>
    public async Task<string> CompleteAsync(RecordingMetadata? finalMetadata, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(closed, this);
        if (finalMetadata is not null)
        {
            metadata = finalMetadata with { EegDannVersion = finalMetadata.EegDannVersion ?? EegDannVersion.Current };
            // The footer is written again even with nothing buffered, so that it carries the new metadata.
            await CommitAsync(append: true, cancellationToken);
        }

        await FlushAsync(cancellationToken);
        closed = true;
        await stream.DisposeAsync();
        await FinishAsync(PartPath, finalPath, events, metadata.Subject, cancellationToken);
        return finalPath;
    }

    /// <summary>Closes the file without completing: the part and state files stay for <see cref="RecoverAsync"/>. Buffered samples are lost.</summary>
    public async ValueTask DisposeAsync()
    {
        closed = true;
        await stream.DisposeAsync();
    }

    /// <summary>Writes the buffered rows (if any) as a row group, the footer, flushes to disk, then replaces the state file.</summary>
    private async Task CommitAsync(bool append, CancellationToken cancellationToken)
    {
        BeforeCommit?.Invoke();
        long total = DurableSamples + buffered;
        stream.Position = 0;
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream, options, append, cancellationToken))
        {
            writer.CustomMetadata = RecordingParquet.SamplesMetadata(Info, metadata, total);
            if (buffered > 0)
            {
                await ParquetRecordingWriter.WriteRowGroupAsync(writer, schema, DurableSamples, buffer, 0, buffered, indexBuffer, cancellationToken);
            }
        }

        await stream.FlushAsync(cancellationToken);
        stream.Flush(flushToDisk: true);

        // The tail is the footer, its 4-byte length and "PAR1".
        long length = stream.Length;
        var lengthBytes = new byte[8];
        stream.Position = length - 8;
        await stream.ReadExactlyAsync(lengthBytes, cancellationToken);
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        long dataEnd = length - 8 - footerLength;
        int tailLength = checked((int)(length - dataEnd));
        if (tail.Length < tailLength)
        {
            // The footer grows with every row group (up to MaxRowGroupsPerFile of them): one buffer,
            // grown by doubling, instead of a new large-object-heap array per commit.
            tail = new byte[Math.Max(tailLength, 2 * tail.Length)];
        }

        stream.Position = dataEnd;
        await stream.ReadExactlyAsync(tail.AsMemory(0, tailLength), cancellationToken);

        DurableSamples = total;
        buffered = 0;
        // Serialised straight into the state file (the footer as Base64, as before): no Base64
        // string, no intermediate JSON array. Both were a few hundred kB per commit on the
        // large-object heap, collected only by full collections: the soak's heap and resident
        // memory swung by tens of MB with them.
        var state = new PartState(1, dataEnd, tail.AsMemory(0, tailLength), total, events);
        await AtomicFile.WriteAsync(StatePath, s => JsonSerializer.SerializeAsync(s, state, StateJson, cancellationToken), cancellationToken);
    }
}
