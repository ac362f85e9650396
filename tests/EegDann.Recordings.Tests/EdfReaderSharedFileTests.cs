using EegDann.Recordings.Tests.Support;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests;

/// <summary>
/// The EDF reader on every file of the shared raw folder — 30 imagined left/right fist runs (eegmmidb), 30
/// executed left/right fist runs (eegmmidb-executed) and 12 imagined fists/feet runs (eegmmidb-fists-feet) —
/// against MNE-Python's values (tools/golden/edf_golden.py). SharedData category: not in the default run; without
/// the folder every test here fails naming it.
/// </summary>
[Trait("Category", "SharedData")]
public sealed class EdfReaderSharedFileTests
{
    public static TheoryData<string> Files => EdfGolden.SharedNames();

    [Fact]
    public void TheSharedFolderHoldsEveryFileOfTheGoldenSetAndNoOther()
    {
        string root = TestData.SharedRawDirectory;
        var onDisk = new[] { "eegmmidb", "eegmmidb-executed", "eegmmidb-fists-feet" }
            .SelectMany(folder => Directory.GetFiles(Path.Combine(root, folder), "*.edf", SearchOption.AllDirectories))
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal);

        Assert.Equal(EdfGolden.NameList(_ => true), onDisk);
        Assert.Equal(72, onDisk.Count());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void SamplesEqualMneInMicrovoltsWithinOneThousandth(string name)
    {
        var golden = EdfGolden.Get(name);
        MneGoldenChecks.AssertSamplesEqualMne(golden, EdfGolden.SharedPath(golden));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EventsEqualMneAnnotations(string name)
    {
        var golden = EdfGolden.Get(name);
        MneGoldenChecks.AssertEventsEqualMne(golden, EdfGolden.SharedPath(golden));
    }
}
