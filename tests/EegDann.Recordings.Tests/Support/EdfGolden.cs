using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Recordings.Tests.Support;

/// <summary>One file's golden values from tools/golden/edf_golden.py (MNE-Python), in µV.</summary>
public sealed record EdfGoldenFile(
    string Name,
    string Path,
    string Sha256,
    double SampleRate,
    int SampleCount,
    string[] Channels,
    double[] Sum,
    double[] SumAbs,
    double[] SumSq,
    double[] SumIw,
    int[] Indices,
    double[][] Values,
    (double Onset, double Duration, string Label)[] Events);

public static class EdfGolden
{
    private static readonly Lazy<IReadOnlyDictionary<string, EdfGoldenFile>> Files = new(Load);

    public static EdfGoldenFile Get(string name) => Files.Value[name];

    /// <summary>Every file of the golden set (the 72 shared files), for [Theory] data of SharedData tests.</summary>
    public static TheoryData<string> SharedNames() => Names(_ => true);

    /// <summary>The files of the golden set the repository ships in tests/data (see <see cref="TestData.ShippedRawFiles"/>).</summary>
    public static TheoryData<string> ShippedNames() => Names(TestData.ShippedRawFiles.Contains);

    /// <summary>A golden file's raw EDF as shipped under tests/data (its path relative to the shared folder, below tests/data).</summary>
    public static string ShippedPath(EdfGoldenFile file) => System.IO.Path.Combine(TestData.TestDataDirectory, file.Path);

    /// <summary>A golden file's raw EDF in the shared folder; SharedData tests only.</summary>
    public static string SharedPath(EdfGoldenFile file) => System.IO.Path.Combine(TestData.SharedRawDirectory, file.Path);

    /// <summary>The names of the golden set (SXXXRYY) in ordinal order, all or only those included.</summary>
    public static IReadOnlyList<string> NameList(Func<string, bool> include) => Files.Value.Keys.Where(include).Order(StringComparer.Ordinal).ToArray();

    private static TheoryData<string> Names(Func<string, bool> include) => new(NameList(include));

    private static IReadOnlyDictionary<string, EdfGoldenFile> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("edf_golden.json")));
        var result = new Dictionary<string, EdfGoldenFile>(StringComparer.Ordinal);
        foreach (var file in doc.RootElement.GetProperty("files").EnumerateObject())
        {
            var f = file.Value;
            double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
            result[file.Name] = new EdfGoldenFile(
                file.Name,
                f.GetProperty("path").GetString()!,
                f.GetProperty("sha256").GetString()!,
                f.GetProperty("sfreq").GetDouble(),
                f.GetProperty("n_samples").GetInt32(),
                f.GetProperty("channels").EnumerateArray().Select(x => x.GetString()!).ToArray(),
                Doubles(f.GetProperty("sum")),
                Doubles(f.GetProperty("sum_abs")),
                Doubles(f.GetProperty("sum_sq")),
                Doubles(f.GetProperty("sum_iw")),
                f.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                f.GetProperty("values").EnumerateArray().Select(Doubles).ToArray(),
                f.GetProperty("events").EnumerateArray().Select(e => (e[0].GetDouble(), e[1].GetDouble(), e[2].GetString()!)).ToArray());
        }

        return result;
    }
}
