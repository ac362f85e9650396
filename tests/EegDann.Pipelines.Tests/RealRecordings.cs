using System.Collections.Concurrent;
using EegDann.Core;
using EegDann.Pipelines.Definitions;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>
/// The real EEGMMIDB recordings shipped in recordings/ (S001–S004, runs 04/08/12; the same samples and events as
/// their raw EDF files), read once per test run.
/// </summary>
internal static class RealRecordings
{
    private static readonly ConcurrentDictionary<string, Lazy<Recording>> Cache = new();

    public static Recording Read(string subject, string run) =>
        Cache.GetOrAdd(subject + run, name => new Lazy<Recording>(() =>
            ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, name + ".parquet")).GetAwaiter().GetResult())).Value;

    public static PipelineDefinition MiLogVar => PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"));
}
