using System.Collections.Concurrent;
using EegDann.Core;
using EegDann.Pipelines.Definitions;
using EegDann.Recordings.Import;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>The shared raw EEGMMIDB files, read once per test run.</summary>
internal static class RealRecordings
{
    private static readonly ConcurrentDictionary<string, Lazy<Recording>> Cache = new();

    public static Recording Read(string subject, string run) =>
        Cache.GetOrAdd(subject + run, _ => new Lazy<Recording>(() => RecordingImporter.Read(TestData.RawEdf(subject, run)))).Value;

    public static PipelineDefinition MiLogVar => PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"));
}
