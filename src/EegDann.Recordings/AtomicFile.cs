namespace EegDann.Recordings;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one, never a part:
/// the content goes to a temporary file beside the target, is flushed to disk, then renamed over
/// the target. On any failure the temporary file is removed and the target is untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="write"/> puts into the stream.</summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="write">Writes the whole content; may be asynchronous.</param>
    /// <param name="cancellationToken">Cancels before the rename; the target is then untouched.</param>
    /// <exception cref="IOException">When the file cannot be written; the message names it.</exception>
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new IOException($"{path}: no directory.");
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write {full}: the directory {directory} does not exist.");
        }

        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await write(stream);
                cancellationToken.ThrowIfCancellationRequested();
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Writes several files that belong together (a recording's samples and events): each goes to a
    /// temporary file first, and only when all are written and flushed are they renamed into place,
    /// in order. If any write fails, every temporary file is removed and no target is touched.
    /// </summary>
    /// <param name="files">Target paths (their directories must exist) and what to write into each.</param>
    /// <param name="cancellationToken">Cancels before the renames; the targets are then untouched.</param>
    public static async Task WriteAllAsync(IReadOnlyList<(string Path, Func<Stream, Task> Write)> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var staged = new List<(string Temporary, string Target)>();
        try
        {
            foreach (var (path, write) in files)
            {
                string full = Path.GetFullPath(path);
                string directory = Path.GetDirectoryName(full) ?? throw new IOException($"{path}: no directory.");
                if (!Directory.Exists(directory))
                {
                    throw new DirectoryNotFoundException($"Cannot write {full}: the directory {directory} does not exist.");
                }

                string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                staged.Add((temporary, full));
                await using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await write(stream);
                cancellationToken.ThrowIfCancellationRequested();
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (temporary, target) in staged)
            {
                File.Move(temporary, target, overwrite: true);
            }
        }
        catch
        {
            foreach (var (temporary, _) in staged)
            {
                TryDelete(temporary);
            }

            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        WriteAsync(path, s => s.WriteAsync(bytes, cancellationToken).AsTask(), cancellationToken);

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAllBytesAsync(path, new System.Text.UTF8Encoding(false).GetBytes(text), cancellationToken);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden .tmp file is harmless and never read.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
