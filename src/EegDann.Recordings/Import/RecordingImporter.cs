using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using EegDann.Core;
using EegDann.Recordings.Parquet;

namespace EegDann.Recordings.Import;

/// <summary>Settings of one import run.</summary>
public sealed record ImportOptions
{
    /// <summary>Subject for every input; when null, taken from the EDF+ patient code, else the file-name prefix.</summary>
    public string? Subject { get; init; }

    /// <summary>The XDF stream to import as the recording (its name); null for the first stream of type EEG.</summary>
    public string? Stream { get; init; }

    /// <summary>The recording's rate in Hz; null for the highest rate among the kept channels. Channels at another rate are resampled with <see cref="Resampler"/>.</summary>
    public double? RateHz { get; init; }

    /// <summary>The channels to keep, by label (clean or as the file spells it), in this order; null for all.</summary>
    public IReadOnlyList<string>? Channels { get; init; }

    /// <summary>Resamples channels whose rate is not the recording's (mixed-rate EDF/BDF, or <see cref="RateHz"/>); null refuses such files, naming the rates.</summary>
    public IWholeSignalResampler? Resampler { get; init; }

    /// <summary>Seconds per Parquet row group.</summary>
    public double RowGroupSeconds { get; init; } = ParquetRecordingWriter.DefaultRowGroupSeconds;

    /// <summary>
    /// Import what a file cut short holds (a recording interrupted by a crash, a power cut or a full
    /// disk): the complete data records (EDF/BDF/GDF), chunks (XDF) or samples (multiplexed BrainVision) before the cut, with the loss in
    /// the metadata (<c>salvaged</c>). False (the default) refuses such a file, naming the cut.
    /// </summary>
    public bool Salvage { get; init; }

    /// <summary>Files imported at the same time (default: one per processor). Results keep input order either way.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>The outcome of importing one input.</summary>
/// <param name="Input">The input file as given.</param>
/// <param name="Output">The samples file written, or null when the import failed.</param>
/// <param name="Error">Why it failed (names the file and the problem), or null on success.</param>
/// <param name="Summary">What was written (rate, channels, samples, events, metadata; not the samples, which a batch would otherwise hold until its end), or null when it failed.</param>
public sealed record ImportResult(string Input, string? Output, string? Error, RecordingSummary? Summary)
{
    /// <summary>Whether the input was imported.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Whether the import was stopped (cancelled) before this input was written; its <see cref="Error"/> says so.</summary>
    public bool Stopped { get; init; }

    /// <summary>Whether it failed for want of memory (it is tried again alone when others were imported beside it).</summary>
    public bool OutOfMemory { get; init; }
}

/// <summary>
/// Imports EDF/EDF+/BDF/BDF+/GDF 2.x, XDF and BrainVision files as EegDann Parquet recordings: detects the format from
/// the file's first bytes, reads it, decides subject and run, and writes
/// <c>OUT/&lt;input name&gt;.parquet</c> and <c>.events.parquet</c> atomically. One bad input does
/// not stop the others; a failed input leaves no output.
/// </summary>
public static partial class RecordingImporter
{
    /// <summary>Which reader a file needs.</summary>
    public enum SourceFormat
    {
        /// <summary>EDF or EDF+.</summary>
        Edf,

        /// <summary>BDF or BDF+.</summary>
        Bdf,

        /// <summary>GDF 2.x.</summary>
        Gdf,

        /// <summary>XDF (LabRecorder).</summary>
        Xdf,

        /// <summary>BrainVision (the <c>.vhdr</c> header of <c>.vhdr</c> + <c>.vmrk</c> + <c>.eeg</c>).</summary>
        BrainVision,
    }

    /// <summary>Imports every input into <paramref name="outputDirectory"/> (created if missing).</summary>
    /// <param name="inputs">Source files.</param>
    /// <param name="outputDirectory">Where the recordings go.</param>
    /// <param name="options">Subject override and row-group length.</param>
    /// <param name="progress">Receives one task per input (<c>import NAME</c>); may be null.</param>
    /// <param name="cancellationToken">Stops between files and between records; the inputs imported by then keep their results and files, the others are reported as stopped.</param>
    /// <returns>One result per input, in input order.</returns>
    public static async Task<IReadOnlyList<ImportResult>> ImportAsync(
        IReadOnlyList<string> inputs,
        string outputDirectory,
        ImportOptions options,
        IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxParallelism);
        Directory.CreateDirectory(outputDirectory);
        var results = new ImportResult?[inputs.Count];
        var outputs = new string?[inputs.Count];
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Count; i++)
        {
            string output = Path.Combine(outputDirectory, Path.GetFileNameWithoutExtension(inputs[i]) + ".parquet");
            if (claimed.TryGetValue(output, out var earlier))
            {
                results[i] = new ImportResult(inputs[i], null, $"{inputs[i]}: its output {output} is already taken by {earlier}; import files with the same name into different folders.", null);
            }
            else
            {
                claimed[output] = inputs[i];
                outputs[i] = output;
            }
        }

        bool together = options.MaxParallelism > 1 && outputs.Count(o => o is not null) > 1;
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, inputs.Count).Where(i => outputs[i] is not null),
                new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism, CancellationToken = cancellationToken },
                async (i, token) => results[i] = await ImportOneAsync(inputs[i], outputs[i]!, options, !together, progress, token));

            // A file that did not fit in memory beside the others is tried again alone, once they are gone.
            if (together)
            {
                foreach (int i in Enumerable.Range(0, inputs.Count).Where(i => results[i] is { OutOfMemory: true }))
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    results[i] = await ImportOneAsync(inputs[i], outputs[i]!, options, alone: true, progress, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: what was imported stays imported (each file is written whole or not at all).
        }

        return results.Select((r, i) => r ?? new ImportResult(inputs[i], null, $"{inputs[i]}: not imported: stopped before it was written.", null) { Stopped = true }).ToList();
    }

    private static async Task<ImportResult> ImportOneAsync(string input, string output, ImportOptions options, bool alone, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        string task = $"import {Path.GetFileName(input)}";
        try
        {
            var recording = Read(input, options, (done, total) => progress?.Report(new WorkProgress(task, done, total + 1)), cancellationToken);
            await ParquetRecordingWriter.WriteAsync(recording, output, options.RowGroupSeconds, cancellationToken);
            progress?.Report(new WorkProgress(task, 1, 1, "done"));
            int rows = ParquetRecordingWriter.RowsPerGroup(recording.Info.SampleRateHz, options.RowGroupSeconds);
            var metadata = recording.Metadata with { EegDannVersion = recording.Metadata.EegDannVersion ?? EegDannVersion.Current };
            return new ImportResult(input, output, null, new RecordingSummary(output, recording.Info, recording.SampleCount, (int)((recording.SampleCount + rows - 1) / rows), recording.Events, metadata));
        }
        catch (OutOfMemoryException)
        {
            // Read whole into memory: a file too large for what this process may use fails alone, with a clear message.
            progress?.Report(new WorkProgress(task, 1, 1, "failed"));
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            string may = available >= 1L << 30 ? $"{available / (double)(1L << 30):F1} GB" : $"{available >> 20} MB";
            return new ImportResult(input, null, $"{input}: not enough memory to import it {(alone ? "alone" : "beside the other inputs")} (a file is read whole; this process may use {may}): free memory, or import it on a machine with more.", null) { OutOfMemory = true };
        }
        catch (RecordingFormatException e)
        {
            progress?.Report(new WorkProgress(task, 1, 1, "failed"));
            return new ImportResult(input, null, e.Message, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.Report(new WorkProgress(task, 1, 1, "failed"));
            return new ImportResult(input, null, $"{input}: cannot write {output}: {e.Message}", null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A reader bug must not take the other inputs down with it; the message says it is one.
            progress?.Report(new WorkProgress(task, 1, 1, "failed"));
            return new ImportResult(input, null, $"{input}: unexpected error while importing ({e.GetType().Name}: {e.Message}); this is a bug in EegDann, please report it with the file.", null);
        }
    }

    /// <summary>Reads one source file into a <see cref="Recording"/> with its metadata decided.</summary>
    /// <param name="path">The EDF/BDF/GDF file.</param>
    /// <param name="subject">Subject override, or null.</param>
    /// <param name="progress">Called with (units done, units in all) while reading; may be null.</param>
    /// <param name="cancellationToken">Stops between records.</param>
    /// <exception cref="RecordingFormatException">When the file cannot be read or is not valid.</exception>
    public static Recording Read(string path, string? subject = null, Action<long, long>? progress = null, CancellationToken cancellationToken = default) =>
        Read(path, new ImportOptions { Subject = subject }, progress, cancellationToken);

    /// <summary>Reads one source file into a <see cref="Recording"/> with its metadata decided.</summary>
    /// <param name="path">The source file.</param>
    /// <param name="options">Subject override and the choices of stream, rate and channels.</param>
    /// <param name="progress">Called with (units done, units in all) while reading; may be null.</param>
    /// <param name="cancellationToken">Stops between records.</param>
    /// <exception cref="RecordingFormatException">When the file cannot be read or is not valid.</exception>
    public static Recording Read(string path, ImportOptions options, Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        string? subject = options.Subject;
        var format = Detect(path);
        var source = format switch
        {
            SourceFormat.Gdf => GdfReader.Read(path, progress, options.Salvage, cancellationToken),
            SourceFormat.Xdf => XdfReader.Read(path, options.Stream, progress, options.Salvage, cancellationToken),
            SourceFormat.BrainVision => BrainVisionReader.Read(path, progress, options.Salvage, cancellationToken),
            _ => EdfReader.Read(path, progress, options.Salvage, cancellationToken),
        };
        source = ChannelPlan.Apply(path, source, options);
        string sha256 = Sha256(path);
        var (fileSubject, run) = FromFileName(path);
        var metadata = new RecordingMetadata
        {
            Subject = !string.IsNullOrWhiteSpace(subject) ? subject.Trim() : source.PatientCode ?? fileSubject,
            Run = run,
            SourceFile = Path.GetFileName(path),
            SourceSha256 = sha256,
            OriginalChannelLabels = source.OriginalLabels,
            ChannelUnits = source.Units,
            EegDannVersion = EegDannVersion.Current,
            Extra = source.Extra,
        };
        return new Recording(source.Info, source.Samples, source.Events, metadata);
    }

    /// <summary>Which format <paramref name="path"/> is, from its first bytes.</summary>
    /// <exception cref="RecordingFormatException">When it is unreadable or none of EDF, BDF, GDF 2.x, XDF, BrainVision header.</exception>
    public static SourceFormat Detect(string path)
    {
        using var stream = EdfReader.OpenRead(path);
        var head = new byte[64];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        string ascii = Encoding.Latin1.GetString(head, 0, Math.Min(n, 8));
        string text = Encoding.Latin1.GetString(head, 0, n).TrimStart('\uFEFF', '\u00EF', '\u00BB', '\u00BF');
        if (n >= 8 && ascii == "0       ")
        {
            return SourceFormat.Edf;
        }

        if (n >= 8 && head[0] == 0xFF && ascii[1..] == "BIOSEMI")
        {
            return SourceFormat.Bdf;
        }

        if (ascii.StartsWith("GDF 2.", StringComparison.Ordinal))
        {
            return SourceFormat.Gdf;
        }

        if (ascii.StartsWith("XDF:", StringComparison.Ordinal))
        {
            return SourceFormat.Xdf;
        }

        if (text.StartsWith(BrainVisionReader.HeaderMagicV1, StringComparison.Ordinal) || text.StartsWith(BrainVisionReader.HeaderMagicV2, StringComparison.Ordinal))
        {
            return SourceFormat.BrainVision;
        }

        if (text.Contains("Data Exchange Marker File", StringComparison.Ordinal) || Path.GetExtension(path).Equals(".eeg", StringComparison.OrdinalIgnoreCase))
        {
            throw new RecordingFormatException(path, "this is a BrainVision marker or data file; import its header (the .vhdr file), which names both.");
        }

        string what = n == 0 ? "the file is empty"
            : ascii.StartsWith("GDF", StringComparison.Ordinal) ? $"'{ascii}' is GDF 1.x, which EegDann does not read (GDF 2.x only)"
            : ascii.StartsWith("PAR1", StringComparison.Ordinal) ? "it is a Parquet file, not a source recording"
            : $"it starts with '{string.Concat(ascii.Select(c => c is >= ' ' and < (char)127 ? c.ToString() : $"\\x{(int)c:X2}"))}'";
        throw new RecordingFormatException(path, $"not an EDF, BDF or GDF 2.x file, nor XDF or a BrainVision header: {what}.");
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = EdfReader.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Subject and run from a file name: <c>S001R04.edf</c> → (<c>S001</c>, <c>R04</c>); a name ending
    /// in <c>R</c> + digits, optionally after <c>_</c> or <c>-</c>, splits there; any other name is
    /// the subject whole, with no run.
    /// </summary>
    public static (string Subject, string? Run) FromFileName(string path)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        var match = RunSuffix().Match(stem);
        return match.Success ? (match.Groups["subject"].Value, match.Groups["run"].Value) : (stem, null);
    }

    [GeneratedRegex(@"^(?<subject>.+?)[_-]?(?<run>R\d+)$")]
    private static partial Regex RunSuffix();
}
