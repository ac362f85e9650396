// Why one file over 400 lines: the model file format in one place (manifest, tensor layout, SHA-256
// checks, write, read with its limits, the fit check against a stream) and the package a read returns
// (ModelPackage, ModelVersions), so the format is reviewed in one file.
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EegDann.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>Versions of the software that wrote a model file.</summary>
/// <param name="EegDann">EegDann's informational version.</param>
/// <param name="TorchSharp">The TorchSharp assembly version.</param>
/// <param name="LibTorch">The libtorch version.</param>
public sealed record ModelVersions(
    [property: JsonPropertyName("eegdann")] string EegDann,
    [property: JsonPropertyName("torchsharp")] string TorchSharp,
    [property: JsonPropertyName("libtorch")] string LibTorch)
{
    /// <summary>The versions of this process.</summary>
    public static ModelVersions Current { get; } = new(
        EegDannVersion.Current,
        typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        __version__);
}

/// <summary>A model read from a model file: the trained network, its context and provenance.</summary>
public sealed class ModelPackage : IDisposable
{
    internal ModelPackage(TrainedModel model, ModelContext context, ModelVersions versions, string id)
    {
        Model = model;
        Context = context;
        Versions = versions;
        Id = id;
    }

    /// <summary>The trained network with its class names and training record.</summary>
    public TrainedModel Model { get; }

    /// <summary>The pipeline, fitted stages, channels and rate the caller stored with it.</summary>
    public ModelContext Context { get; }

    /// <summary>The versions that wrote the file.</summary>
    public ModelVersions Versions { get; }

    /// <summary>The model's identity: 16 hex digits of the SHA-256 of its manifest and weights (same bytes, same id).</summary>
    public string Id { get; }

    /// <summary>
    /// Checks that data described by <paramref name="data"/> (and, optionally, network inputs of
    /// <paramref name="sampleShape"/>) can be decoded with this model; lists every mismatch.
    /// </summary>
    public ModelFit CheckFit(SignalInfo data, IReadOnlyList<int>? sampleShape = null) => ModelFile.CheckFit(Model, Context, data, sampleShape);

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Reads and writes model files: a zip archive with <c>manifest.json</c> (format, versions, class
/// names, architecture, training record with per-epoch metrics, the caller's context — signal,
/// pipeline, fitted stages — and the index of the tensors) and <c>weights.bin</c> (every parameter
/// and buffer, little-endian, in the manifest's order, checked by SHA-256). The same model and
/// context always give the same bytes. Files are written by the caller (atomically, e.g. with
/// EegDann.Recordings' AtomicFile); this class only sees streams.
/// </summary>
public static class ModelFile
{
    /// <summary>The <c>format</c> value of a model manifest.</summary>
    public const string Format = "eegdann-model";

    /// <summary>The manifest format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest manifest read, bytes (a manifest with every fitted stage is a few hundred kB).</summary>
    public const long MaxManifestBytes = 32L << 20;

    /// <summary>The largest weights entry read, bytes (<see cref="NetworkSpec.MaxParameters"/> float32 values).</summary>
    public const long MaxWeightsBytes = NetworkSpec.MaxParameters * sizeof(float);

    private const string ManifestEntry = "manifest.json";
    private const string WeightsEntry = "weights.bin";
    private static readonly DateTimeOffset FixedTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The JSON conventions of model manifests (snake_case, enums as strings, indented).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new TrainingMethodJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="model"/> and <paramref name="context"/> to <paramref name="stream"/>; returns the model's id.</summary>
    /// <exception cref="PlatformNotSupportedException">On a big-endian machine.</exception>
    public static string Write(Stream stream, TrainedModel model, ModelContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(model);
        RequireLittleEndian();
        context ??= ModelContext.None;

        var (weights, index) = SerializeWeights(model.Network);
        var manifest = new Manifest
        {
            Format = Format,
            FormatVersion = FormatVersion,
            Versions = ModelVersions.Current,
            ClassNames = model.ClassNames,
            Network = model.Spec,
            Training = model.Training,
            Context = ToDto(context),
            Tensors = index,
            WeightsSha256 = Convert.ToHexStringLower(SHA256.HashData(weights)),
        };
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions);

        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            AddEntry(zip, ManifestEntry, manifestBytes, CompressionLevel.Optimal);
            AddEntry(zip, WeightsEntry, weights, CompressionLevel.NoCompression);
        }

        return Identity(manifestBytes, weights);
    }

    /// <summary>Reads a model file, checking everything (format, version, architecture, every tensor, checksum).</summary>
    /// <exception cref="InvalidDataException">When the stream is not a valid model file; lists every problem.</exception>
    public static ModelPackage Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        RequireLittleEndian();
        byte[] manifestBytes, weights;
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            manifestBytes = ReadEntry(zip, ManifestEntry, MaxManifestBytes);
            weights = ReadEntry(zip, WeightsEntry, MaxWeightsBytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Not an EegDann model file: {e.Message}", e);
        }

        Manifest manifest;
        try
        {
            var node = JsonNode.Parse(manifestBytes) as JsonObject ?? throw new JsonException("the manifest is not a JSON object");
            string? format = node["format"]?.GetValue<string>();
            int? version = node["format_version"]?.GetValue<int>();
            if (format != Format)
            {
                throw new InvalidDataException($"Not an EegDann model file: its manifest's format is '{format}', expected '{Format}'.");
            }

            if (version != FormatVersion)
            {
                throw new InvalidDataException(version > FormatVersion
                    ? $"The model file has format version {version}, written by a newer EegDann ({node["versions"]?["eegdann"]}); this build reads version {FormatVersion}."
                    : $"The model file has format version {version?.ToString() ?? "(none)"}; this build reads version {FormatVersion}.");
            }

            manifest = node.Deserialize<Manifest>(JsonOptions) ?? throw new JsonException("empty manifest");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"The model file's manifest is not valid: {e.Message}", e);
        }

        var problems = new List<string>();
        if (manifest.Network is null || manifest.Training is null || manifest.ClassNames is null || manifest.Tensors is null || manifest.Versions is null)
        {
            throw new InvalidDataException("The model file's manifest lacks network, training, class_names, tensors or versions.");
        }

        if (manifest.Tensors.Any(t => t is null || t.Name is null || t.Dtype is null || t.Shape is null))
        {
            problems.Add("the tensor index has an entry without a name, dtype or shape");
        }

        problems.AddRange(manifest.Network.Validate());
        if (manifest.ClassNames.Count != manifest.Network.ClassCount)
        {
            problems.Add($"{manifest.ClassNames.Count} class names for a network of {manifest.Network.ClassCount} classes");
        }

        string actualHash = Convert.ToHexStringLower(SHA256.HashData(weights));
        if (!string.Equals(actualHash, manifest.WeightsSha256, StringComparison.Ordinal))
        {
            problems.Add($"weights.bin is damaged: its SHA-256 is {actualHash}, the manifest records {manifest.WeightsSha256}");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException("The model file is not valid: " + string.Join("; ", problems) + ".");
        }

        var network = new DannNetwork(manifest.Network);
        try
        {
            LoadWeights(network, manifest.Tensors, weights);
            var model = new TrainedModel(network, manifest.ClassNames, manifest.Training);
            var context = FromDto(manifest.Context);
            return new ModelPackage(model, context, manifest.Versions, Identity(manifestBytes, weights));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    internal static ModelFit CheckFit(TrainedModel model, ModelContext context, SignalInfo data, IReadOnlyList<int>? sampleShape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var mismatches = new List<string>();
        bool reorder = false;
        var ignored = new List<string>();
        if (context.Signal is { } expected)
        {
            if (Math.Abs(expected.SampleRateHz - data.SampleRateHz) > 1e-9 * expected.SampleRateHz)
            {
                mismatches.Add($"the data is sampled at {data.SampleRateHz} Hz, the model expects {expected.SampleRateHz} Hz");
            }

            for (int i = 0; i < expected.ChannelCount; i++)
            {
                if (data.IndexOf(expected.Channels[i]) < 0)
                {
                    mismatches.Add($"channel '{expected.Channels[i]}' (model channel {i + 1} of {expected.ChannelCount}) is missing from the data");
                }
            }

            ignored.AddRange(data.Channels.Where(c => expected.IndexOf(c) < 0));
            var present = data.Channels.Where(c => expected.IndexOf(c) >= 0).ToList();
            reorder = present.Count == expected.ChannelCount && !present.SequenceEqual(expected.Channels, StringComparer.Ordinal);
        }

        if (sampleShape is not null && !sampleShape.SequenceEqual(model.Spec.SampleShape))
        {
            mismatches.Add($"the data gives network inputs of shape [{string.Join(", ", sampleShape)}], the model reads [{string.Join(", ", model.Spec.SampleShape)}]");
        }

        return new ModelFit(mismatches, reorder, ignored);
    }

    private static (byte[] Weights, List<TensorEntry> Index) SerializeWeights(DannNetwork network)
    {
        using var scope = NewDisposeScope();
        var buffer = new MemoryStream();
        var index = new List<TensorEntry>();
        foreach (var (name, value) in network.state_dict())
        {
            var t = value.detach().contiguous().cpu();
            byte[] bytes = t.dtype switch
            {
                ScalarType.Float32 => MemoryMarshal.AsBytes<float>(t.data<float>().ToArray()).ToArray(),
                ScalarType.Int64 => MemoryMarshal.AsBytes<long>(t.data<long>().ToArray()).ToArray(),
                _ => throw new NotSupportedException($"Tensor '{name}' has type {t.dtype}; model files hold float32 and int64 tensors."),
            };
            index.Add(new TensorEntry(name, t.dtype == ScalarType.Float32 ? "float32" : "int64", t.shape, buffer.Length, bytes.Length));
            buffer.Write(bytes);
        }

        return (buffer.ToArray(), index);
    }

    private static void LoadWeights(DannNetwork network, IReadOnlyList<TensorEntry> index, byte[] weights)
    {
        var problems = new List<string>();
        var entries = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        foreach (var entry in index)
        {
            if (!entries.TryAdd(entry.Name, entry))
            {
                problems.Add($"tensor '{entry.Name}' is listed twice");
            }
        }

        var state = network.state_dict();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, target) in state)
        {
            if (!entries.Remove(name, out var entry))
            {
                problems.Add($"tensor '{name}' is missing");
                continue;
            }

            string dtype = target.dtype == ScalarType.Float32 ? "float32" : target.dtype == ScalarType.Int64 ? "int64" : target.dtype.ToString();
            int elementSize = dtype == "int64" ? 8 : 4;
            if (entry.Dtype != dtype || !entry.Shape.SequenceEqual(target.shape))
            {
                problems.Add($"tensor '{name}' is {entry.Dtype} [{string.Join(", ", entry.Shape)}], the architecture needs {dtype} [{string.Join(", ", target.shape)}]");
                continue;
            }

            long count = target.numel();
            if (entry.Offset < 0 || entry.Bytes != count * elementSize || entry.Offset + entry.Bytes > weights.LongLength)
            {
                problems.Add($"tensor '{name}' lies outside weights.bin or has the wrong size ({entry.Bytes} bytes at {entry.Offset})");
                continue;
            }

            var span = weights.AsSpan((int)entry.Offset, (int)entry.Bytes);
            var source = dtype == "float32"
                ? tensor(MemoryMarshal.Cast<byte, float>(span).ToArray(), target.shape)
                : tensor(MemoryMarshal.Cast<byte, long>(span).ToArray(), target.shape);
            target.copy_(source);
        }

        problems.AddRange(entries.Keys.Select(name => $"tensor '{name}' does not belong to the architecture"));
        if (problems.Count > 0)
        {
            throw new InvalidDataException("The model file's weights do not fit its architecture: " + string.Join("; ", problems) + ".");
        }
    }

    private static string Identity(byte[] manifest, byte[] weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(manifest);
        hash.AppendData(weights);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] bytes, CompressionLevel level)
    {
        var entry = zip.CreateEntry(name, level);
        entry.LastWriteTime = FixedTimestamp;
        using var s = entry.Open();
        s.Write(bytes);
    }

    /// <summary>
    /// Reads an entry of at most <paramref name="maxBytes"/>: the declared size is checked before
    /// anything is allocated, and the data may not inflate beyond what was declared (a zip bomb
    /// or a lying header is refused after reading at most the declared size plus one byte).
    /// </summary>
    private static byte[] ReadEntry(ZipArchive zip, string name, long maxBytes)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"it has no {name}");
        long declared = entry.Length;
        if (declared < 0 || declared > maxBytes)
        {
            throw new InvalidDataException($"its {name} declares {declared} bytes, more than the {maxBytes} a model file may hold");
        }

        var bytes = new byte[declared];
        using var s = entry.Open();
        int read = 0;
        while (read < bytes.Length)
        {
            int n = s.Read(bytes, read, bytes.Length - read);
            if (n == 0)
            {
                throw new InvalidDataException($"its {name} is shorter ({read} bytes) than it declares ({declared} bytes)");
            }

            read += n;
        }

        if (s.Read(new byte[1], 0, 1) != 0)
        {
            throw new InvalidDataException($"its {name} inflates to more than the {declared} bytes it declares");
        }

        return bytes;
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Model files store little-endian tensors; this machine is big-endian.");
        }
    }

    private static ContextDto ToDto(ModelContext context) => new()
    {
        Signal = context.Signal is null ? null : new SignalDto(context.Signal.SampleRateHz, context.Signal.Channels),
        FeatureNames = context.FeatureNames,
        Pipeline = context.Pipeline,
        FittedStages = context.FittedStages,
        Extra = new SortedDictionary<string, string>(context.Extra.ToDictionary(), StringComparer.Ordinal),
    };

    private static ModelContext FromDto(ContextDto? dto)
    {
        if (dto is null)
        {
            return ModelContext.None;
        }

        SignalInfo? signal;
        try
        {
            signal = dto.Signal is null ? null : new SignalInfo(dto.Signal.SampleRateHz, dto.Signal.Channels);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The model file's signal description is not valid: {e.Message}", e);
        }

        return new ModelContext
        {
            Signal = signal,
            FeatureNames = dto.FeatureNames ?? [],
            Pipeline = dto.Pipeline,
            FittedStages = dto.FittedStages ?? [],
            Extra = dto.Extra is null ? new Dictionary<string, string>() : new Dictionary<string, string>(dto.Extra, StringComparer.Ordinal),
        };
    }

    private sealed record TensorEntry(string Name, string Dtype, long[] Shape, long Offset, long Bytes);

    private sealed record SignalDto(double SampleRateHz, IReadOnlyList<string> Channels);

    private sealed class ContextDto
    {
        public SignalDto? Signal { get; init; }

        public IReadOnlyList<string>? FeatureNames { get; init; }

        public JsonElement? Pipeline { get; init; }

        public IReadOnlyList<FittedStage>? FittedStages { get; init; }

        public IDictionary<string, string>? Extra { get; init; }
    }

    private sealed class Manifest
    {
        public string? Format { get; init; }

        public int FormatVersion { get; init; }

        public ModelVersions? Versions { get; init; }

        public IReadOnlyList<string>? ClassNames { get; init; }

        public NetworkSpec? Network { get; init; }

        public TrainingRecord? Training { get; init; }

        public ContextDto? Context { get; init; }

        public IReadOnlyList<TensorEntry>? Tensors { get; init; }

        public string? WeightsSha256 { get; init; }
    }
}
