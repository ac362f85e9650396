using EegDann.Core;
using EegDann.Dsp.Resampling;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Pipelines.Tests;

public sealed class ExportFeaturesTests
{
    private static readonly string Pipeline = Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json");

    [Fact]
    public async Task ExportWritesOneRowPerEpochWithNamedFeatureColumnsFromParquetAndEdfAlike()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var recording = RealRecordings.Read("S002", "R08");
        string parquet = dir.File("S002R08.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, parquet);
        string output = dir.File("features.parquet");

        var result = await ExportFeatures.RunAsync(new ExportFeaturesRequest(Pipeline, [TestData.RawEdf("S001", "R04"), parquet], output), NullLogger.Instance);

        Assert.Equal(30, result.Rows);
        Assert.Equal(64, result.Features);
        Assert.Equal(2, result.Subjects);
        var (table, metadata) = await FeatureTableParquet.ReadAsync(output);
        Assert.Equal(30, table.RowCount);
        Assert.Equal("logvar_Fc5", table.FeatureNames[0]);
        Assert.Contains("logvar_C3", table.FeatureNames);
        Assert.Equal(["S001R04", "S002R08"], table.Rows.Select(r => r.Recording).Distinct());
        Assert.Equal(["left", "right"], table.Rows.Select(r => r.Label!).Distinct().Order());
        Assert.Contains("mi-logvar", metadata["eegdann.pipeline"]);
        FittedPipeline.FromJson(metadata["eegdann.fitted"], output);

        var definition = RealRecordings.MiLogVar;
        var signal = SignalPipeline.Create(definition);
        var epochs = signal.ExtractEpochs(recording, "S002R08").Epochs;
        var expected = FeaturePipeline.Transform(definition, FeaturePipeline.Fit(signal, [epochs]), epochs);
        Assert.Equal(expected.Rows, table.Rows.Skip(15));
        Assert.Equal(expected.Values, table.Values.Skip(15 * 64));
        Assert.Equal(table.Rows.Select(r => r.StartSample).Take(15), signal.ExtractEpochs(RealRecordings.Read("S001", "R04")).Epochs.Epochs.Select(e => e.Info.StartSample));
    }

    [Fact]
    public async Task ABadRecordingFailsNamingItAndWritesNothing()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string bad = dir.File("broken.edf");
        await File.WriteAllTextAsync(bad, "this is not an EDF file");
        string output = dir.File("features.parquet");
        var e = await Assert.ThrowsAsync<ExportInputException>(() =>
            ExportFeatures.RunAsync(new ExportFeaturesRequest(Pipeline, [TestData.RawEdf("S001", "R04"), bad], output), NullLogger.Instance));
        Assert.Contains("broken.edf", e.Message);
        Assert.Equal(["broken.edf"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ARecordingWithANonFiniteSampleFailsNamingTheFileChannelAndSampleAndWritesNothing()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var shared = RealRecordings.Read("S002", "R08");
        var recording = new Recording(shared.Info, shared.Samples.Select(s => (float[])s.Clone()).ToArray(), shared.Events, shared.Metadata);
        recording.Samples[recording.Info.IndexOf("C3")][500] = float.NaN;
        string parquet = dir.File("S002R08.parquet");
        await ParquetRecordingWriter.WriteAsync(recording, parquet);
        string output = dir.File("features.parquet");
        var e = await Assert.ThrowsAsync<ExportInputException>(() =>
            ExportFeatures.RunAsync(new ExportFeaturesRequest(Pipeline, [parquet], output), NullLogger.Instance));
        Assert.Contains("S002R08.parquet: channel 'C3' has a non-finite value (NaN or infinity) at sample 500", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task DataThePipelineCannotBeFittedOnFailsAsInputNamingThePipelineAndWhy()
    {
        // A common average reference makes the channels sum to zero: without shrinkage the
        // alignment's reference covariance is singular.
        using var dir = TestData.NewTemporaryDirectory();
        var document = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Pipeline))!;
        var steps = document["steps"]!.AsArray();
        steps.Insert(1, System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "common_average_reference", "parameters": {} }"""));
        steps.Insert(2, System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "euclidean_alignment", "parameters": { "shrinkage": 0 } }"""));
        string pipeline = dir.File("car-ea.json");
        await File.WriteAllTextAsync(pipeline, document.ToJsonString());
        string output = dir.File("features.parquet");
        var e = await Assert.ThrowsAsync<ExportInputException>(() =>
            ExportFeatures.RunAsync(new ExportFeaturesRequest(pipeline, [TestData.RawEdf("S001", "R04")], output), NullLogger.Instance));
        Assert.Contains("car-ea.json: cannot fit pipeline", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not positive definite", e.Message, StringComparison.Ordinal);
        Assert.IsType<FitDataException>(e.InnerException);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void OnlyAMissingChannelAnUnsupportedRateOrUnfittableDataAreProblemsWithTheRecordingsAnyOtherArgumentExceptionIsABug()
    {
        Assert.True(InputProblems.IsDataProblem(new ChannelMismatchException(["C3"], [], ["Cz"])));
        Assert.True(InputProblems.IsDataProblem(new UnsupportedSampleRateException(100 * Math.PI, 160, "no")));
        Assert.True(InputProblems.IsDataProblem(new FitDataException("singular")));
        Assert.False(InputProblems.IsDataProblem(new ArgumentException("a bug")));
        Assert.False(InputProblems.IsDataProblem(new ArgumentOutOfRangeException("index")));
        Assert.False(InputProblems.IsDataProblem(new ArgumentNullException("signal")));
        Assert.False(InputProblems.IsDataProblem(new InvalidOperationException("a bug")));
    }

    [Fact]
    public async Task AnInvalidPipelineFailsNamingTheFileAndStep()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string pipeline = dir.File("p.json");
        await File.WriteAllTextAsync(pipeline, (await File.ReadAllTextAsync(Pipeline)).Replace("\"log_variance\"", "\"log_varianse\""));
        var e = await Assert.ThrowsAsync<ExportInputException>(() =>
            ExportFeatures.RunAsync(new ExportFeaturesRequest(pipeline, [TestData.RawEdf("S001", "R04")], dir.File("f.parquet")), NullLogger.Instance));
        Assert.Contains("p.json", e.Message);
        Assert.Contains("step 2 'log_varianse': unknown step type", e.Message);
        Assert.False(File.Exists(dir.File("f.parquet")));
    }
}
