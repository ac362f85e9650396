namespace EegDann.TestSupport;

/// <summary>
/// The one place tests find data: the repository's shipped recordings and pipelines, the small
/// raw files vendored under tests/data, and the shared raw EEGMMIDB files of this workplace.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The repository root (the folder holding EegDann.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary><c>recordings/</c>: the shipped Parquet recordings.</summary>
    public static string RecordingsDirectory => Path.Combine(RepositoryRoot, "recordings");

    /// <summary><c>pipelines/</c>: the shipped pipeline definitions.</summary>
    public static string PipelinesDirectory => Path.Combine(RepositoryRoot, "pipelines");

    /// <summary><c>tests/data/</c>: small raw files and golden values checked into the repository.</summary>
    public static string TestDataDirectory => Path.Combine(RepositoryRoot, "tests", "data");

    /// <summary>A file under <c>tests/data/</c>.</summary>
    public static string TestDataFile(params string[] parts) => Path.Combine([TestDataDirectory, .. parts]);

    /// <summary>
    /// The shared raw EEGMMIDB folder (<c>eegmmidb/SXXX/SXXXRYY.edf</c>): <c>EEGDANN_RAW_DIR</c> if set, else the
    /// first <c>shared/recordings-raw</c> found beside the repository or one of its ancestors.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">When it cannot be found; the message says how to point at it.</exception>
    public static string SharedRawDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("EEGDANN_RAW_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return Directory.Exists(configured)
                    ? configured
                    : throw new DirectoryNotFoundException($"EEGDANN_RAW_DIR={configured} does not exist.");
            }

            for (var dir = new DirectoryInfo(RepositoryRoot); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "recordings-raw");
                if (Directory.Exists(Path.Combine(candidate, "eegmmidb")))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException(
                "The shared raw recordings (shared/recordings-raw/eegmmidb) were not found beside the repository; set EEGDANN_RAW_DIR.");
        }
    }

    /// <summary>A shared raw EEGMMIDB file, e.g. <c>RawEdf("S001", "R04")</c>.</summary>
    public static string RawEdf(string subject, string run) =>
        Path.Combine(SharedRawDirectory, "eegmmidb", subject, $"{subject}{run}.edf");

    /// <summary>A fresh, empty temporary directory that is deleted when disposed.</summary>
    public static TemporaryDirectory NewTemporaryDirectory() => new();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EegDann.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No EegDann.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A temporary directory removed (with its contents) on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    /// <summary>Creates the directory under the system temporary folder.</summary>
    public TemporaryDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "eegdann-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow filesystem: leave it to the OS's temp cleaning.
        }
    }
}
