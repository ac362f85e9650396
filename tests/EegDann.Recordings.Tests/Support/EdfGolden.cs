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

    /// <summary>Every file of the golden set, for [Theory] data.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Files.Value.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    public static string RawPath(EdfGoldenFile file) => System.IO.Path.Combine(TestData.SharedRawDirectory, file.Path);

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
