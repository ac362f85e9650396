namespace EegDann.TestSupport;

/// <summary>
/// The one place tests find data: the repository's shipped recordings and pipelines, the small
/// raw files vendored under tests/data, and the shared raw EEGMMIDB files of this workplace.
/// </summary>
/// <remarks>
/// How tests and data fit together (keep it this simple):
/// <list type="bullet">
/// <item>The default run, <c>dotnet test EegDann.sln -c Release</c> (what the README and .ci/run say), must pass
/// on a bare clone with nothing beside it. Its tests use only <see cref="RecordingsDirectory"/> (S001–S004,
/// runs 04/08/12, Parquet), <see cref="PipelinesDirectory"/>, <see cref="TestDataDirectory"/> and the raw EDF
/// files of <see cref="RawEdf"/> (<see cref="ShippedRawFiles"/>).</item>
/// <item>A test that needs the shared folder (all 30 files, the executed-movement or fists/feet runs) carries
/// <c>[Trait("Category", "SharedData")]</c> on its class and finds files through <see cref="SharedRawDirectory"/>
/// or <see cref="SharedRawEdf"/>. tests/Directory.Build.props sets the default filter
/// <c>Category!=SharedData</c> (MSBuild's <c>VSTestTestCaseFilter</c>); an explicit <c>--filter</c> replaces it, so
/// <c>dotnet test EegDann.sln -c Release --filter Category=SharedData</c> runs exactly those tests. Without the
/// folder they fail with a message saying so; .ci/run runs them whenever <c>../shared/recordings-raw</c> exists.</item>
/// </list>
/// </remarks>
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

    /// <summary><c>tests/data/eegmmidb/</c>: the raw EDF files shipped with the repository (same layout as the shared folder).</summary>
    public static string ShippedRawDirectory => Path.Combine(TestDataDirectory, "eegmmidb");

    /// <summary>The (subject, run) pairs whose raw EDF file the repository ships under <c>tests/data/eegmmidb/</c>.</summary>
    public static IReadOnlyList<string> ShippedRawFiles { get; } = ["S001R04", "S002R04"];

    /// <summary>
    /// A raw EEGMMIDB file the repository ships (<c>tests/data/eegmmidb/SXXX/SXXXRYY.edf</c>), e.g. <c>RawEdf("S001", "R04")</c>:
    /// usable in every default test. Only <see cref="ShippedRawFiles"/> exist; for any other file write a
    /// <c>SharedData</c> test and use <see cref="SharedRawEdf"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the file is not shipped (the message says what to do instead).</exception>
    public static string RawEdf(string subject, string run) =>
        ShippedRawFiles.Contains(subject + run)
            ? Path.Combine(ShippedRawDirectory, subject, $"{subject}{run}.edf")
            : throw new ArgumentException(
                $"{subject}{run}.edf is not shipped in tests/data/eegmmidb (only {string.Join(", ", ShippedRawFiles)}): use the Parquet copy in recordings/, or make the test [Trait(\"{CategoryTrait}\", \"{SharedDataCategory}\")] and use SharedRawEdf.");

    /// <summary>The trait name of test categories: <c>[Trait("Category", "SharedData")]</c>.</summary>
    public const string CategoryTrait = "Category";

    /// <summary>
    /// The category of tests that need the shared raw folder (<see cref="SharedRawDirectory"/>). The default run
    /// (<c>dotnet test EegDann.sln -c Release</c>) excludes it through tests/Directory.Build.props; run it with
    /// <c>dotnet test EegDann.sln -c Release --filter Category=SharedData</c>.
    /// </summary>
    public const string SharedDataCategory = "SharedData";

    /// <summary>
    /// The shared raw EEGMMIDB folder (<c>eegmmidb/SXXX/SXXXRYY.edf</c>, <c>eegmmidb-executed/…</c>,
    /// <c>eegmmidb-fists-feet/…</c>): <c>EEGDANN_RAW_DIR</c> if set, else the first <c>shared/recordings-raw</c>
    /// found beside the repository or one of its ancestors. Only tests of the <see cref="SharedDataCategory"/>
    /// category may use it.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">When it cannot be found; the message says how to point at it.
    /// A SharedData test run without the folder therefore fails; it never passes.</exception>
    public static string SharedRawDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("EEGDANN_RAW_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return Directory.Exists(Path.Combine(configured, "eegmmidb"))
                    ? configured
                    : throw new DirectoryNotFoundException($"EEGDANN_RAW_DIR={configured} has no eegmmidb folder: the SharedData tests need the shared raw recordings.");
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
                $"The SharedData tests need the shared raw recordings (shared/recordings-raw/eegmmidb), which were not found beside {RepositoryRoot} or any folder above it; set EEGDANN_RAW_DIR to the folder holding eegmmidb/.");
        }
    }

    /// <summary>A file of the shared raw folder, e.g. <c>SharedRawEdf("S007", "R08")</c> (<c>eegmmidb/S007/S007R08.edf</c>); SharedData tests only.</summary>
    public static string SharedRawEdf(string subject, string run) =>
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
