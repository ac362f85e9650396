namespace EegDann.Recordings;

/// <summary>
/// A file that cannot be read as what it claims to be: truncated, corrupt, not the expected format,
/// or holding values EegDann cannot use. The message always names the file and what is wrong with it.
/// </summary>
public sealed class RecordingFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file that is wrong.</param>
    /// <param name="problem">What is wrong, as a sentence without the file name.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public RecordingFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that is wrong.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
