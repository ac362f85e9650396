using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Dsp.Features;
using EegDann.Model;
using EegDann.Pipelines.Definitions;
using EegDann.Pipelines.Signal;
using EegDann.Pipelines.UseCases;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Pipelines.Tests;

/// <summary>
/// More than two classes end to end: per-run event maps, one-vs-rest CSP with shrinkage LDA and
/// logistic regression on synthetic data, and a four-class calibration of the shipped recordings
/// (runs 04/08/12 in <c>recordings/</c>, runs 06 in <c>tests/data/fists-feet/</c>).
/// </summary>
public sealed class MultiClassTests
{
    private static readonly string[] LeftRightRuns = ["R04", "R08", "R12"];

    /// <summary>The shipped four-class pipeline with a small training budget (tests check behaviour, not accuracy).</summary>
    private static PipelineDefinition SmallFourClass()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-4class.json")))!;
        json["training"]!["epochs"] = 4;
        json["training"]!["ensemble"] = 2;
        return PipelineDefinitionLoader.Parse(json.ToJsonString(), "mi-4class (small)");
    }

    private static string FistsFeet(string subject) => TestData.TestDataFile("fists-feet", $"{subject}R06.parquet");

    private static IEnumerable<string> FourClassFiles(string subject) =>
        LeftRightRuns.Select(r => Path.Combine(TestData.RecordingsDirectory, $"{subject}{r}.parquet")).Append(FistsFeet(subject));

    [Fact]
    public async Task RunEventsMapTheSameCueToADifferentClassInEachRun()
    {
        var definition = SmallFourClass();
        var signal = SignalPipeline.Create(definition);
        var leftRight = signal.ExtractEpochs(await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, "S001R04.parquet"))).Epochs;
        var fistsFeet = signal.ExtractEpochs(await ParquetRecordingReader.ReadAsync(FistsFeet("S001"))).Epochs;

        Assert.Equal(["feet", "fists", "left", "right"], definition.ClassNames);
        Assert.Equal(["left", "right"], leftRight.Epochs.Select(e => e.Info.Label).Distinct().Order());
        Assert.Equal(["feet", "fists"], fistsFeet.Epochs.Select(e => e.Info.Label).Distinct().Order());
        Assert.Equal(15, fistsFeet.Count);
    }

    [Fact]
    public void OneVsRestCspWithShrinkageLdaSeparatesFourSyntheticClassesFarAboveChance()
    {
        // Four classes, each raising the power of its own pair of channels among 8; 40 training and
        // 40 fresh test epochs per class. Chance is 0.25.
        var (trainCovariances, trainLabels) = SyntheticEpochs(seed: 1, perClass: 40);
        var (testCovariances, testLabels) = SyntheticEpochs(seed: 2, perClass: 40);
        string[] classes = ["a", "b", "c", "d"];

        var fit = Csp.Fit(trainCovariances, trainLabels.Select(k => classes[k]).ToArray(), 8, components: 2);
        var features = new CspFeatures(fit);
        double[] Rows(IReadOnlyList<double[]> covariances)
        {
            var rows = new double[covariances.Count * fit.ComponentCount];
            var context = new WindowContext(8, 200, 160);
            for (int i = 0; i < covariances.Count; i++)
            {
                context.LoadCovariance(covariances[i]);
                features.Extract(context, rows.AsSpan(i * fit.ComponentCount, fit.ComponentCount));
            }

            return rows;
        }

        var lda = ShrinkageLda.Fit(Rows(trainCovariances), fit.ComponentCount, trainLabels, 4);
        var predicted = lda.Predict(Rows(testCovariances));
        double accuracy = predicted.Zip(testLabels).Count(p => p.First == p.Second) / (double)testLabels.Length;

        Assert.Equal(8, fit.ComponentCount);
        Assert.True(accuracy > 0.8, $"accuracy {accuracy:0.000} (chance 0.25)");
        Assert.All(Enumerable.Range(0, 4), k => Assert.Contains(k, predicted));
    }

    [Fact]
    public void OneVsRestLogisticRegressionSeparatesThreeClustersAndRefusesAMissingClass()
    {
        var random = new Random(4);
        double[][] centres = [[3, 0], [0, 3], [-3, -3]];
        var rows = new List<double>();
        var labels = new List<int>();
        for (int i = 0; i < 90; i++)
        {
            int k = i % 3;
            rows.Add(centres[k][0] + Gaussian(random));
            rows.Add(centres[k][1] + Gaussian(random));
            labels.Add(k);
        }

        var model = OneVsRestLogisticRegression.Fit(rows.ToArray(), 2, labels, 3);

        Assert.Equal(3, model.Models.Count);
        Assert.Equal([0, 1, 2], model.Predict([3, 0.2, 0.1, 3, -2.5, -3]));
        var e = Assert.Throws<ArgumentException>(() => OneVsRestLogisticRegression.Fit(rows.ToArray(), 2, labels.Select(y => y == 2 ? 0 : y).ToArray(), 3));
        Assert.Contains("class 2 has no sample", e.Message);
    }

    [Fact]
    public async Task CalibratingAFourClassModelWritesFourByFourConfusionsAndTheModelDecodesFourClasses()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var request = new CalibrateRequest
        {
            Pipeline = SmallFourClass(),
            Sources = FourClassFiles("S001").Select(f => RecordingInput.FromPath(f)).ToArray(),
            Targets = FourClassFiles("S002").Select(f => RecordingInput.FromPath(f)).ToArray(),
            ModelPath = dir.File("s002.eegdann"),
        };

        using var outcome = await CalibrateNewSubject.RunAsync(request, NullLogger.Instance);

        Assert.Equal("ea_dann_x2", outcome.Method.Name);
        Assert.Contains(dir.File("s002.report.confusion.png"), outcome.WrittenFiles);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(dir.File("s002.report.confusion.png"))[..4]);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("s002.report.json")));
        int scored = report.RootElement.GetProperty("target").GetProperty("scored_epochs").GetInt32();
        Assert.Equal(45 + 15, scored);
        var methods = report.RootElement.GetProperty("methods").EnumerateArray().ToArray();
        Assert.Contains(methods, m => m.GetProperty("method").GetString() == "ea_csp_lda");
        Assert.Contains(methods, m => m.GetProperty("method").GetString() == "ea_ts_lr");
        foreach (var method in methods)
        {
            Assert.True(method.GetProperty("failure").ValueKind == JsonValueKind.Null, method.GetProperty("method").GetString());
            var confusion = method.GetProperty("confusion");
            Assert.Equal(["feet", "fists", "left", "right"], confusion.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
            var matrix = confusion.GetProperty("rows_true_columns_predicted").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            Assert.Equal(4, matrix.Length);
            Assert.All(matrix, r => Assert.Equal(4, r.Length));
            Assert.Equal(scored, matrix.Sum(r => r.Sum()));
            Assert.All(matrix, r => Assert.True(r.Sum() > 0, "every class has scored epochs"));
        }

        string markdown = File.ReadAllText(dir.File("s002.report.md"));
        Assert.Contains("| true \\ predicted | feet | fists | left | right | recall |", markdown);
        Assert.Contains("chance 1/4 = 0.250", markdown);
        Assert.Contains("(s002.report.confusion.png)", markdown);

        using var stream = File.OpenRead(dir.File("s002.eegdann"));
        using var package = ModelFile.Read(stream);
        Assert.Equal(["feet", "fists", "left", "right"], package.Model.ClassNames);
        var (definition, fitted) = PipelineModelContext.Read(package.Context, "s002.eegdann");
        var signal = SignalPipeline.Create(definition, fitted);
        var epochs = EpochSet.Concat(await Task.WhenAll(FourClassFiles("S002").Select(async f => signal.ExtractEpochs(await ParquetRecordingReader.ReadAsync(f), Path.GetFileNameWithoutExtension(f)).Epochs)));
        var table = FeaturePipeline.Transform(definition, fitted, epochs);
        var samples = new SampleMatrix(table.Values.Select(v => (float)v).ToArray(), table.RowCount, table.FeatureCount);
        var probabilities = package.Model.PredictProbabilities(samples);
        var predicted = package.Model.Predict(samples);

        Assert.Equal(table.RowCount * 4, probabilities.Length);
        Assert.All(predicted, p => Assert.InRange(p, 0, 3));
        var truth = epochs.Epochs.Select(e => package.Model.ClassNames.ToList().IndexOf(e.Info.Label!)).ToArray();
        double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
        Assert.Equal(methods[^1].GetProperty("accuracy").GetDouble(), accuracy, 9);
    }

    [Fact]
    public async Task EvaluatingAFourClassPipelineScoresEveryTargetWithFourByFourConfusions()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string data = Directory.CreateDirectory(dir.File("data")).FullName;
        foreach (string file in new[] { "S001", "S002" }.SelectMany(FourClassFiles))
        {
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
            string events = RecordingParquet.EventsPathFor(file);
            File.Copy(events, Path.Combine(data, Path.GetFileName(events)));
        }

        string pipeline = dir.File("mi-4class-small.json");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData.PipelinesDirectory, "mi-4class.json")))!;
        json["training"]!["epochs"] = 4;
        json["training"]!["ensemble"] = 2;
        File.WriteAllText(pipeline, json.ToJsonString());
        var request = new EvaluateRequest(pipeline, data, EvaluationProtocol.Loso, ["ea_csp_lda", "ea_dann_x2"], [0], ReportDirectory: dir.File("report"));

        var result = await Evaluate.RunAsync(request, NullLogger.Instance);

        Assert.Equal(["feet", "fists", "left", "right"], result.ClassNames);
        Assert.Equal(["S001", "S002"], result.Targets);
        Assert.Equal(2 * 2, result.Rows.Count);
        foreach (var row in result.Rows)
        {
            Assert.Null(row.Failure);
            // 45 left/right epochs of runs 04/08/12 and 15 fists/feet epochs of run 06.
            Assert.Equal(45 + 15, row.ScoredEpochs);
            var matrix = row.Confusion!;
            Assert.Equal(4, matrix.Count);
            Assert.All(matrix, r => Assert.Equal(4, r.Count));
            Assert.Equal(row.ScoredEpochs, matrix.Sum(r => r.Sum()));
            Assert.Equal(row.Accuracy, Enumerable.Range(0, 4).Sum(k => matrix[k][k]) / (double)row.ScoredEpochs, 12);
        }

        string markdown = File.ReadAllText(dir.File("report/evaluation.md"));
        Assert.Contains("| true \\ predicted | feet | fists | left | right | recall |", markdown);
        Assert.Contains("chance 1/4 = 0.250", markdown);
        Assert.True(new FileInfo(dir.File("report/confusion.png")).Length > 1000);
    }

    private static (List<double[]> Covariances, int[] Labels) SyntheticEpochs(int seed, int perClass)
    {
        var random = new Random(seed);
        var covariances = new List<double[]>();
        var labels = new List<int>();
        for (int e = 0; e < 4 * perClass; e++)
        {
            int k = e % 4;
            var window = new double[8 * 200];
            for (int i = 0; i < window.Length; i++)
            {
                window[i] = Gaussian(random);
            }

            for (int c = 2 * k; c < (2 * k) + 2; c++)
            {
                for (int s = 0; s < 200; s++)
                {
                    window[(c * 200) + s] *= 2.5;
                }
            }

            var context = new WindowContext(8, 200, 160);
            context.Load(window);
            covariances.Add((double[])context.Covariance.Clone());
            labels.Add(k);
        }

        return (covariances, labels.ToArray());
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
