using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDann.Core;

namespace EegDann.Model.Tests;

public sealed class ModelFileTests
{
    private static readonly SignalInfo Signal = new(160, ["C3", "Cz", "C4"]);

    private static readonly ModelContext Context = new()
    {
        Signal = Signal,
        FeatureNames = ["logvar_C3", "logvar_Cz", "logvar_C4"],
        Pipeline = JsonDocument.Parse("""{"name": "mi-logvar", "steps": [{"type": "bandpass", "parameters": {"low_hz": 8, "high_hz": 30}}]}""").RootElement,
        FittedStages = [new FittedStage("euclidean_alignment", JsonDocument.Parse("""{"r_inv_sqrt": [[1.5, 0.1], [0.1, 2.0]]}""").RootElement)],
        Extra = new Dictionary<string, string> { ["sources"] = "S001,S003", ["target"] = "S002" },
    };

    private static (TrainingProblem Problem, SampleMatrix Target) Problem(int seed = 1)
    {
        var (source, labels) = Synthetic.Gaussians(200, 3, seed);
        var (target, _) = Synthetic.Gaussians(200, 3, seed + 1, shift: 1);
        return (new TrainingProblem(new LabeledSamples(source, labels), target, ["left", "right"]), target);
    }

    private static TrainedModel Train(TrainingOptions? options = null) =>
        Trainers.Train(Problem().Problem, options ?? new TrainingOptions { Epochs = 8, Seed = 5 }).RequireModel();

    private static byte[] Bytes(TrainedModel model, ModelContext? context = null)
    {
        using var stream = new MemoryStream();
        ModelFile.Write(stream, model, context ?? Context);
        return stream.ToArray();
    }

    private static ModelPackage Load(byte[] bytes) => ModelFile.Read(new MemoryStream(bytes));

    [Fact]
    public void SaveThenLoadGivesIdenticalPredictionsAndIdenticalBytes()
    {
        using var model = Train();
        var target = Problem().Target;
        byte[] saved = Bytes(model);

        using var package = Load(saved);

        Assert.Equal(model.PredictProbabilities(target), package.Model.PredictProbabilities(target));
        Assert.Equal(saved, Bytes(package.Model, package.Context));
        Assert.Equal(model.ClassNames, package.Model.ClassNames);
        Assert.Equal(model.Spec, package.Model.Spec);
        Assert.Equal(model.Training.Epochs, package.Model.Training.Epochs);
        Assert.Equal(model.Training.Options, package.Model.Training.Options);
        Assert.NotEqual(model.Training.Options, package.Model.Training.Options with { DomainHiddenSizes = [33] });
    }

    [Fact]
    public void SameSeedAndDataGiveTheSameModelBytes()
    {
        using var first = Train();
        using var second = Train();
        using var other = Train(new TrainingOptions { Epochs = 8, Seed = 6 });

        Assert.Equal(Bytes(first), Bytes(second));
        Assert.NotEqual(Bytes(first), Bytes(other));
    }

    [Fact]
    public void ContextTravelsWithTheModel()
    {
        using var model = Train();

        using var package = Load(Bytes(model));

        Assert.Equal(Signal, package.Context.Signal);
        Assert.Equal(Context.FeatureNames, package.Context.FeatureNames);
        Assert.Equal(Context.Pipeline!.Value.GetRawText().Replace(" ", ""), package.Context.Pipeline!.Value.GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        var stage = Assert.Single(package.Context.FittedStages);
        Assert.Equal("euclidean_alignment", stage.Name);
        Assert.Equal(2.0, stage.State.GetProperty("r_inv_sqrt")[1][1].GetDouble());
        Assert.Equal("S002", package.Context.Extra["target"]);
        Assert.Equal(ModelVersions.Current, package.Versions);
        Assert.Matches("^[0-9a-f]{16}$", package.Id);
    }

    [Fact]
    public void ManifestIsReadableJsonBesideTheWeights()
    {
        using var model = Train();
        using var zip = new ZipArchive(new MemoryStream(Bytes(model)));

        Assert.Equal(["manifest.json", "weights.bin"], zip.Entries.Select(e => e.FullName));
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        var manifest = JsonNode.Parse(reader.ReadToEnd())!;
        Assert.Equal("eegdann-model", (string?)manifest["format"]);
        Assert.Equal("dann", (string?)manifest["training"]!["method"]);
        Assert.Equal("mlp", (string?)manifest["network"]!["extractor"]!["kind"]);
        Assert.Equal(160.0, (double?)manifest["context"]!["signal"]!["sample_rate_hz"]);
        Assert.Equal(8, manifest["training"]!["epochs"]!.AsArray().Count);
    }

    [Fact]
    public void DataThatDoesNotFitIsDescribedMismatchByMismatch()
    {
        using var model = Train();
        using var package = Load(Bytes(model));

        var fit = package.CheckFit(new SignalInfo(250, ["Cz", "C3", "Fz"]), [4]);

        Assert.False(fit.Fits);
        Assert.Contains(fit.Mismatches, m => m.Contains("250 Hz") && m.Contains("160 Hz"));
        Assert.Contains(fit.Mismatches, m => m.Contains("'C4'") && m.Contains("missing"));
        Assert.Contains(fit.Mismatches, m => m.Contains("[4]") && m.Contains("[3]"));
        Assert.Equal(3, fit.Mismatches.Count);
        Assert.Equal(["Fz"], fit.IgnoredChannels);
    }

    [Fact]
    public void DataWithTheSameChannelsInAnotherOrderFitsAfterReordering()
    {
        using var model = Train();
        using var package = Load(Bytes(model));

        var reordered = package.CheckFit(new SignalInfo(160, ["C4", "Cz", "C3", "Pz"]));
        var exact = package.CheckFit(Signal, [3]);

        Assert.True(reordered.Fits);
        Assert.True(reordered.NeedsReordering);
        Assert.Equal(["Pz"], reordered.IgnoredChannels);
        Assert.True(exact.Fits);
        Assert.False(exact.NeedsReordering);
    }

    [Fact]
    public void DamagedWeightsAreRefusedWithTheReason()
    {
        using var model = Train();
        byte[] bytes = Bytes(model);
        var copy = new MemoryStream();
        copy.Write(bytes);
        using (var zip = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry("weights.bin")!;
            var weights = new MemoryStream();
            using (var s = entry.Open())
            {
                s.CopyTo(weights);
            }

            var damaged = weights.ToArray();
            damaged[10] ^= 0xFF;
            entry.Delete();
            using var w = zip.CreateEntry("weights.bin").Open();
            w.Write(damaged);
        }

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Read(new MemoryStream(copy.ToArray())));

        Assert.Contains("weights.bin is damaged", error.Message);
    }

    [Fact]
    public void FilesThatAreNotModelsAreRefusedClearly()
    {
        var notZip = Assert.Throws<InvalidDataException>(() => ModelFile.Read(new MemoryStream(Encoding.UTF8.GetBytes("hello"))));
        Assert.Contains("Not an EegDann model file", notZip.Message);

        var otherFormat = Assert.Throws<InvalidDataException>(() => ModelFile.Read(new MemoryStream(ZipWithManifest("""{"format": "something-else", "format_version": 1}"""))));
        Assert.Contains("'something-else'", otherFormat.Message);

        var newer = Assert.Throws<InvalidDataException>(() => ModelFile.Read(new MemoryStream(ZipWithManifest("""{"format": "eegdann-model", "format_version": 9, "versions": {"eegdann": "9.0"}}"""))));
        Assert.Contains("format version 9", newer.Message);
        Assert.Contains("newer EegDann", newer.Message);
    }

    [Fact]
    public void AModelFileOfTheRemovedConvolutionalExtractorIsRefusedClearly()
    {
        using var model = Train();
        var stream = new MemoryStream();
        stream.Write(Bytes(model));
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry("manifest.json")!;
            JsonNode manifest;
            using (var reader = new StreamReader(entry.Open()))
            {
                manifest = JsonNode.Parse(reader.ReadToEnd())!;
            }

            manifest["network"]!["extractor"] = new JsonObject { ["kind"] = "conv", ["spatial_filters"] = 16 };
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("manifest.json").Open());
            writer.Write(manifest.ToJsonString());
        }

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Read(new MemoryStream(stream.ToArray())));
        Assert.Contains("manifest is not valid", e.Message);
        Assert.Contains("'conv'", e.Message);
    }

    [Fact]
    public void OneSamplePredictionMatchesTheBatchPredictionToFloatRounding()
    {
        using var model = Train();
        var target = Problem().Target;
        var predictor = model.CreatePredictor();
        var batch = predictor.PredictProbabilities(target);
        var one = new float[2];

        for (int i = 0; i < 20; i++)
        {
            predictor.PredictProbabilities(target.Sample(i), one);
            // One row goes through the managed forward pass, a batch through libtorch's matrix products: the last bits may differ.
            Assert.True(Math.Abs(batch[i * 2] - one[0]) <= 1e-6, $"sample {i}: {batch[i * 2]:R} vs {one[0]:R}");
            Assert.True(Math.Abs(batch[i * 2 + 1] - one[1]) <= 1e-6, $"sample {i}: {batch[i * 2 + 1]:R} vs {one[1]:R}");
        }

        Assert.Throws<ArgumentException>(() => predictor.PredictProbabilities(new float[4], one));
    }

    private static byte[] ZipWithManifest(string manifest)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var s = zip.CreateEntry("manifest.json").Open())
            {
                s.Write(Encoding.UTF8.GetBytes(manifest));
            }

            zip.CreateEntry("weights.bin");
        }

        return stream.ToArray();
    }
}
