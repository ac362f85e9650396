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
