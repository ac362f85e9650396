using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Daemon.Models;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Daemon.Tests;

/// <summary>
/// Model files for the daemon's tests, trained once per test run on the shipped recordings
/// through the Pipelines and Model APIs (mi-logvar: band-pass, log-variance, MLP), with a small
/// epoch budget. Until the calibrate-new-subject use case lands this is how a model is made here.
/// </summary>
internal static class TestModels
{
    private static readonly string Folder = CreateFolder();
    private static readonly Lazy<string> S001ToS002Lazy = new(() => Train("S001_to_S002", ["S001"], "S002", TrainingMethod.Dann, seed: 0));
    private static readonly Lazy<string> S003ToS002Lazy = new(() => Train("S003_to_S002", ["S003"], "S002", TrainingMethod.SourceOnly, seed: 1));
    private static readonly Lazy<string> AlignedS001ToS002Lazy = new(() => Train("aligned_S001_to_S002", ["S001"], "S002", TrainingMethod.SourceOnly, seed: 2, MiLogVarAligned(warmupWindows: 8), epochs: 5));
    private static readonly Lazy<string> StandardizedS001ToS002Lazy = new(() => Train("standardized_S001_to_S002", ["S001"], "S002", TrainingMethod.SourceOnly, seed: 3, MiLogVarAligned(warmupWindows: 8, perSubject: true)));
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>DANN, S001 (runs 04/08/12, labeled) → S002 (unlabeled).</summary>
    public static string S001ToS002 => Locked(S001ToS002Lazy);

    /// <summary>Source-only, S003 → S002: another model of the same pipeline, for swaps.</summary>
    public static string S003ToS002 => Locked(S003ToS002Lazy);

    /// <summary>
    /// Source-only, S001 → S002, on mi-logvar with Euclidean alignment (warm-up of 8 windows) before
    /// the log-variance: a model whose alignment can be estimated from the stream. Few epochs: for
    /// the control path, not for its scores.
    /// </summary>
    public static string AlignedS001ToS002 => Locked(AlignedS001ToS002Lazy);

    /// <summary>
    /// As <see cref="AlignedS001ToS002"/>, with each subject's features standardised with its own
    /// statistics (<c>standardize</c> per subject, warm-up 12, longer than the alignment's 8, update every 4): the model keeps S001's
    /// and S002's; another subject's are estimated from its stream.
    /// </summary>
    public static string StandardizedS001ToS002 => Locked(StandardizedS001ToS002Lazy);

    /// <summary>Runs training work while no other test trains (libtorch's random generator is process-wide).</summary>
    public static async Task<T> TrainingAloneAsync<T>(Func<Task<T>> work)
    {
        await Gate.WaitAsync();
        try
        {
            return await work();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The mi-logvar pipeline.</summary>
    public static PipelineDefinition MiLogVar => PipelineDefinitionLoader.Load(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json"));

    /// <summary>A shipped recording.</summary>
    public static string RecordingPath(string subject, string run) => Path.Combine(TestData.RecordingsDirectory, $"{subject}{run}.parquet");

    /// <summary>Reads a shipped recording.</summary>
    public static Recording Read(string subject, string run) => ParquetRecordingReader.ReadAsync(RecordingPath(subject, run)).GetAwaiter().GetResult();

    /// <summary>A copy of a model file at <paramref name="path"/>.</summary>
    public static string CopyTo(string model, string path)
    {
        File.Copy(model, path, overwrite: true);
        return path;
    }

    private static string Locked(Lazy<string> lazy)
    {
        // Training uses libtorch's process-wide state (the random generator): one at a time.
        Gate.Wait();
        try
        {
            return lazy.Value;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string Train(string name, string[] sources, string target, TrainingMethod method, int seed, PipelineDefinition? pipeline = null, int epochs = 40)
    {
        TorchRuntime.UseThreads(1);
        var definition = pipeline ?? MiLogVar;
        var signal = SignalPipeline.Create(definition);
        string[] runs = ["R04", "R08", "R12"];
        var sourceSets = sources.Select(s => EpochSet.Concat(runs.Select(r => signal.ExtractEpochs(Read(s, r)).Epochs).ToArray())).ToArray();
        var targetSet = EpochSet.Concat(runs.Select(r => signal.ExtractEpochs(Read(target, r)).Epochs).ToArray());
        var fitted = FeaturePipeline.Fit(signal, sourceSets, [targetSet]);
        var source = FeatureTable.Concat(sourceSets.Select(s => FeaturePipeline.Transform(definition, fitted, s)).ToArray());
        var targetFeatures = FeaturePipeline.Transform(definition, fitted, targetSet);
        var classes = definition.ClassNames;
        var labels = source.Rows.Select(r => classes.ToList().IndexOf(r.Label!)).ToArray();
        var problem = new TrainingProblem(new LabeledSamples(Rows(source), labels), Rows(targetFeatures), classes);
        var options = definition.ToTrainingOptions(method, seed) with { Epochs = epochs };
        using var model = Trainers.Train(problem, options).RequireModel();
        string path = Path.Combine(Folder, name + ".eegdann");
        using (var stream = File.Create(path))
        {
            ModelFile.Write(stream, model, PipelineModelContext.Create(definition, fitted, new Dictionary<string, string> { ["sources"] = string.Join(",", sources), ["target"] = target }));
        }

        return path;
    }

    /// <summary>mi-logvar with a Euclidean alignment step before its log-variance (and, <paramref name="perSubject"/>, a standardisation per subject after it).</summary>
    private static PipelineDefinition MiLogVarAligned(int warmupWindows, bool perSubject = false)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json")))!;
        json["name"] = perSubject ? "mi-logvar-ea-subject-z" : "mi-logvar-ea";
        var steps = json["steps"]!.AsArray();
        steps.Insert(steps.Count - 1, new JsonObject { ["type"] = "euclidean_alignment", ["parameters"] = new JsonObject { ["warmup_windows"] = warmupWindows } });
        if (perSubject)
        {
            steps.Add(new JsonObject { ["type"] = "standardize", ["parameters"] = new JsonObject { ["per"] = "subject", ["warmup_windows"] = 12, ["update_every_windows"] = 4 } });
        }

        string path = Path.Combine(Folder, json["name"]!.GetValue<string>() + ".json");
        File.WriteAllText(path, json.ToJsonString());
        return PipelineDefinitionLoader.Load(path);
    }

    private static SampleMatrix Rows(FeatureTable table) =>
        SampleMatrix.FromRows(Enumerable.Range(0, table.RowCount).Select(i => table.Row(i).ToArray().Select(v => (float)v).ToArray()).ToArray());

    private static string CreateFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"eegdann-daemon-test-models-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left to the system's temporary-file cleaning.
            }
        };
        return folder;
    }
}
