using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EegDann.Core;
using EegDann.Pipelines.Calibration;
using EegDann.Recordings;
using Microsoft.Extensions.Logging;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace EegDann.Pipelines.UseCases;

/// <summary>What a merge found: the result when every unit is there exactly once, else the problems.</summary>
/// <param name="Result">The evaluation (as an unsharded run gives it), or null.</param>
/// <param name="Problems">Missing or repeated shards and units, parts of another evaluation; empty when merged.</param>
/// <param name="Parts">The part files read.</param>
public sealed record MergeOutcome(EvaluationResult? Result, IReadOnlyList<string> Problems, IReadOnlyList<string> Parts);

/// <summary>
/// The part files of a sharded evaluation: <c>part-K-of-N.parquet</c>, one row per unit (its index,
/// fold, labeled count, seed, method and scores), with the evaluation's description (pipeline,
/// protocol, targets, methods, seeds, counts, folds) as key-value metadata so a merge can check that
/// every part belongs to the same evaluation and that every unit is there exactly once.
/// </summary>
public static partial class EvaluationParts
{
    /// <summary>The <c>eegdann.format</c> of a part file.</summary>
    public const string Format = "eegdann-evaluation-part-1";

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    private static readonly ParquetSchema Schema = new(
        new DataField<long>("unit", nullable: false),
        new DataField<string>("target", nullable: false),
        new DataField<string>("sources", nullable: false),
        new DataField<long>("target_labeled", nullable: false),
        new DataField<string>("method", nullable: false),
        new DataField<long>("seed", nullable: false),
        new DataField<double>("accuracy", nullable: false),
        new DataField<double>("balanced_accuracy", nullable: false),
        new DataField<long>("scored_epochs", nullable: false),
        new DataField<double>("holdout_accuracy", nullable: false),
        new DataField<long>("holdout_epochs", nullable: false),
        new DataField<string>("failure", nullable: true),
        new DataField<string>("confusion", nullable: true));

    /// <summary>Writes a shard's rows (with their unit indices) to <paramref name="path"/> atomically.</summary>
    internal static Task WriteAsync(string path, EvaluationShard shard, EvaluationDescription description, int unitCount, IReadOnlyList<(int Unit, EvaluationRow Row)> rows, double seconds, double loadSeconds, int networks, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return AtomicFile.WriteAsync(path, async stream =>
        {
            var fields = Schema.DataFields;
            await using var writer = await ParquetWriter.CreateAsync(Schema, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, append: false, cancellationToken);
            writer.CustomMetadata = new Dictionary<string, string>
            {
                ["eegdann.format"] = Format,
                ["eegdann.version"] = EegDannVersion.Current,
                ["eegdann.shard"] = shard.ToString(),
                ["eegdann.units"] = unitCount.ToString(CultureInfo.InvariantCulture),
                ["eegdann.evaluation"] = JsonSerializer.Serialize(description, Json),
                ["eegdann.seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
                ["eegdann.load_seconds"] = loadSeconds.ToString("R", CultureInfo.InvariantCulture),
                ["eegdann.networks"] = networks.ToString(CultureInfo.InvariantCulture),
            };
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(fields[0], rows.Select(r => (long)r.Unit).ToArray(), null, null, cancellationToken);
            await group.WriteAsync(fields[1], rows.Select(r => r.Row.Target).ToArray(), null);
            await group.WriteAsync(fields[2], rows.Select(r => string.Join(",", r.Row.Sources)).ToArray(), null);
            await group.WriteAsync<long>(fields[3], rows.Select(r => (long)r.Row.TargetLabeled).ToArray(), null, null, cancellationToken);
            await group.WriteAsync(fields[4], rows.Select(r => r.Row.Method).ToArray(), null);
            await group.WriteAsync<long>(fields[5], rows.Select(r => (long)r.Row.Seed).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<double>(fields[6], rows.Select(r => r.Row.Accuracy).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<double>(fields[7], rows.Select(r => r.Row.BalancedAccuracy).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<long>(fields[8], rows.Select(r => (long)r.Row.ScoredEpochs).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<double>(fields[9], rows.Select(r => r.Row.HoldoutAccuracy).ToArray(), null, null, cancellationToken);
            await group.WriteAsync<long>(fields[10], rows.Select(r => (long)r.Row.HoldoutEpochs).ToArray(), null, null, cancellationToken);
            await group.WriteAsync(fields[11], rows.Select(r => r.Row.Failure).ToArray(), null);
            await group.WriteAsync(fields[12], rows.Select(r => r.Row.Confusion is { } c ? JsonSerializer.Serialize(c) : null).ToArray(), null);
            group.CompleteValidate();
        }, cancellationToken);
    }

    /// <summary>
    /// Reads every <c>part-K-of-N.parquet</c> in <paramref name="directory"/>, checks that they
    /// describe one evaluation and hold every unit exactly once, and summarises the rows exactly as
    /// an unsharded run does. Problems name the missing or repeated shards (and units).
    /// </summary>
    /// <exception cref="CalibrationInputException">When the folder or a part file cannot be read (named in the message).</exception>
    public static async Task<MergeOutcome> MergeAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new CalibrationInputException($"{directory}: no such folder.");
        }

        var parts = new List<Part>();
        foreach (string path in Directory.GetFiles(directory, "part-*-of-*.parquet").Order(StringComparer.Ordinal))
        {
            var match = PartName().Match(Path.GetFileName(path));
            if (match.Success)
            {
                parts.Add(await ReadAsync(path, cancellationToken));
            }
        }

        var names = parts.Select(p => p.Path).ToArray();
        if (parts.Count == 0)
        {
            return new MergeOutcome(null, [$"{directory}: no part-K-of-N.parquet files (run evaluate --shard K/N --out {directory} first)."], names);
        }

        var problems = new List<string>();
        var description = parts[0].Description;
        foreach (var other in parts.Skip(1).Where(p => !SameEvaluation(p.Description, description)))
        {
            problems.Add($"{Path.GetFileName(other.Path)} belongs to another evaluation than {Path.GetFileName(parts[0].Path)} (pipeline, protocol, subjects, methods, seeds or labeled counts differ).");
        }

        if (problems.Count > 0)
        {
            return new MergeOutcome(null, problems, names);
        }

        // Shards: for each N seen, which K are missing or present twice.
        foreach (var byCount in parts.GroupBy(p => p.Shard.Count).OrderBy(g => g.Key))
        {
            int n = byCount.Key;
            var present = byCount.Select(p => p.Shard.Index).ToHashSet();
            var missing = Enumerable.Range(1, n).Where(k => !present.Contains(k)).ToArray();
            if (missing.Length > 0)
            {
                problems.Add($"missing shard{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(k => $"{k}/{n}"))} (no {string.Join(", ", missing.Select(k => EvaluationShard.PartFileName(k, n)))}): rerun {(missing.Length > 1 ? "them" : "it")} with --shard K/{n}.");
            }
        }

        if (parts.Select(p => p.Shard.Count).Distinct().Count() > 1)
        {
            problems.Add($"parts of different splits in one folder ({string.Join(", ", parts.Select(p => Path.GetFileName(p.Path)))}): keep one N.");
        }

        // Units: every one exactly once.
        var seen = new Dictionary<int, string>();
        var repeated = new List<string>();
        foreach (var part in parts)
        {
            foreach (var (unit, _) in part.Rows)
            {
                if (unit < 0 || unit >= description.UnitCount)
                {
                    problems.Add($"{Path.GetFileName(part.Path)}: unit {unit} is not one of the evaluation's {description.UnitCount} units.");
                }
                else if (seen.TryGetValue(unit, out var first))
                {
                    repeated.Add($"{description.DescribeUnit(unit)} in {first} and {Path.GetFileName(part.Path)}");
                }
                else
                {
                    seen[unit] = Path.GetFileName(part.Path);
                }
            }
        }

        if (repeated.Count > 0)
        {
            problems.Add($"{repeated.Count} unit(s) more than once: {string.Join("; ", repeated.Take(5))}{(repeated.Count > 5 ? "; …" : "")}.");
        }

        var absent = Enumerable.Range(0, description.UnitCount).Where(u => !seen.ContainsKey(u)).ToArray();
        if (absent.Length > 0 && problems.Count == 0)
        {
            problems.Add($"{absent.Length} of {description.UnitCount} units missing: {string.Join("; ", absent.Take(5).Select(description.DescribeUnit))}{(absent.Length > 5 ? "; …" : "")}.");
        }

        if (problems.Count > 0 || absent.Length > 0)
        {
            return new MergeOutcome(null, problems, names);
        }

        var rows = parts.SelectMany(p => p.Rows).OrderBy(r => r.Unit).Select(r => r.Row).ToArray();
        var result = Evaluate.Summarise(
            description,
            rows,
            parts.Sum(p => p.Seconds),
            parts.Max(p => p.LoadSeconds),
            parts.Sum(p => p.Networks));
        return new MergeOutcome(result, [], names);
    }

    /// <summary>The folder where a shard keeps the rows of each run it finished until its part file is written: <c>part-K-of-N.runs</c>.</summary>
    internal static string JournalFolder(string partPath) => Path.ChangeExtension(partPath, ".runs");

    /// <summary>Keeps one finished run's rows in the shard's journal (atomically: a run is kept whole or not at all).</summary>
    internal static Task KeepRunAsync(string journal, int run, EvaluationShard shard, EvaluationDescription description, int unitCount, IReadOnlyList<(int Unit, EvaluationRow Row)> rows, double seconds, int networks) =>
        WriteAsync(Path.Combine(journal, $"run-{run}.parquet"), shard, description, unitCount, rows, seconds, 0, networks, CancellationToken.None);

    /// <summary>
    /// The runs an earlier attempt of this shard finished, by run index: those of the same evaluation
    /// and shard whose units are exactly the run's. Anything else in the journal (another evaluation's
    /// runs, an unreadable file, a temporary file of a write that was killed) is deleted and logged,
    /// and those runs are computed again.
    /// </summary>
    internal static async Task<Dictionary<int, (IReadOnlyList<(int Unit, EvaluationRow Row)> Rows, double Seconds, int Networks)>> ReadJournalAsync(
        string journal, EvaluationShard shard, EvaluationDescription description, IReadOnlyList<IReadOnlySet<int>> unitsOfRun, ILogger logger, CancellationToken cancellationToken)
    {
        var kept = new Dictionary<int, (IReadOnlyList<(int, EvaluationRow)>, double, int)>();
        if (!Directory.Exists(journal))
        {
            return kept;
        }

        foreach (string path in Directory.GetFiles(journal).Order(StringComparer.Ordinal))
        {
            var match = RunName().Match(Path.GetFileName(path));
            string? problem = null;
            if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int run) || run >= unitsOfRun.Count)
            {
                problem = "not one of this shard's runs";
                run = -1;
            }
            else
            {
                try
                {
                    var part = await ReadAsync(path, cancellationToken);
                    if (!SameEvaluation(part.Description, description) || part.Shard != shard)
                    {
                        problem = "from another evaluation or shard";
                    }
                    else if (!part.Rows.Select(r => r.Unit).ToHashSet().SetEquals(unitsOfRun[run]))
                    {
                        problem = "its units are not the run's";
                    }
                    else
                    {
                        kept[run] = (part.Rows, part.Seconds, part.Networks);
                    }
                }
                catch (CalibrationInputException e)
                {
                    problem = e.Message;
                }
            }

            if (problem is not null)
            {
                logger.LogWarning("Shard {Shard}: deleted {Path} ({Problem}){Then}", shard, path, problem, run >= 0 ? "; that run is computed again" : string.Empty);
                File.Delete(path);
            }
        }

        return kept;
    }

    private static bool SameEvaluation(EvaluationDescription a, EvaluationDescription b) =>
        JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(b, Json);

    private static async Task<Part> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, cancellationToken);
            var meta = reader.CustomMetadata;
            if (!meta.TryGetValue("eegdann.format", out var format) || format != Format)
            {
                throw new CalibrationInputException($"{path}: not an evaluation part file (eegdann.format is not {Format}).");
            }

            var description = JsonSerializer.Deserialize<EvaluationDescription>(meta["eegdann.evaluation"], Json)
                ?? throw new CalibrationInputException($"{path}: the evaluation's description is empty.");
            var shard = EvaluationShard.Parse(meta["eegdann.shard"]);
            var fields = reader.Schema.DataFields;
            var names = Schema.DataFields.Select(f => f.Name).ToArray();
            if (!fields.Select(f => f.Name).SequenceEqual(names))
            {
                throw new CalibrationInputException($"{path}: the columns are not {string.Join(", ", names)}.");
            }

            var rows = new List<(int, EvaluationRow)>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int n = checked((int)group.RowCount);
                var unit = new long[n];
                var target = new string[n];
                var sources = new string[n];
                var labeled = new long[n];
                var method = new string[n];
                var seed = new long[n];
                var accuracy = new double[n];
                var balanced = new double[n];
                var scored = new long[n];
                var holdout = new double[n];
                var holdoutEpochs = new long[n];
                var failure = new string?[n];
                var confusion = new string?[n];
                await group.ReadAsync<long>(fields[0], unit, null, cancellationToken);
                await group.ReadAsync(fields[1], target, null, cancellationToken);
                await group.ReadAsync(fields[2], sources, null, cancellationToken);
                await group.ReadAsync<long>(fields[3], labeled, null, cancellationToken);
                await group.ReadAsync(fields[4], method, null, cancellationToken);
                await group.ReadAsync<long>(fields[5], seed, null, cancellationToken);
                await group.ReadAsync<double>(fields[6], accuracy, null, cancellationToken);
                await group.ReadAsync<double>(fields[7], balanced, null, cancellationToken);
                await group.ReadAsync<long>(fields[8], scored, null, cancellationToken);
                await group.ReadAsync<double>(fields[9], holdout, null, cancellationToken);
                await group.ReadAsync<long>(fields[10], holdoutEpochs, null, cancellationToken);
                await group.ReadAsync(fields[11], failure, null, cancellationToken);
                await group.ReadAsync(fields[12], confusion, null, cancellationToken);
                for (int i = 0; i < n; i++)
                {
                    rows.Add((checked((int)unit[i]), new EvaluationRow(target[i], sources[i].Split(',', StringSplitOptions.RemoveEmptyEntries), checked((int)seed[i]), method[i], accuracy[i], balanced[i], checked((int)scored[i]), failure[i])
                    {
                        TargetLabeled = checked((int)labeled[i]),
                        HoldoutAccuracy = holdout[i],
                        HoldoutEpochs = checked((int)holdoutEpochs[i]),
                        Confusion = confusion[i] is { } c ? JsonSerializer.Deserialize<int[][]>(c) : null,
                    }));
                }
            }

            return new Part(
                path,
                shard,
                description,
                rows,
                double.Parse(meta["eegdann.seconds"], CultureInfo.InvariantCulture),
                double.Parse(meta["eegdann.load_seconds"], CultureInfo.InvariantCulture),
                int.Parse(meta["eegdann.networks"], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or FormatException or OverflowException || CorruptParquet(e))
        {
            throw new CalibrationInputException($"{path}: not a readable evaluation part file ({e.Message}).", e);
        }
    }

    private static bool CorruptParquet(Exception e) => e is InvalidDataException or NotSupportedException or IndexOutOfRangeException or ArgumentException || e.GetType().Namespace?.StartsWith("Parquet", StringComparison.Ordinal) == true;

    [GeneratedRegex(@"^part-[0-9]+-of-[0-9]+\.parquet$")]
    private static partial Regex PartName();

    [GeneratedRegex(@"^run-([0-9]{1,9})\.parquet$")]
    private static partial Regex RunName();

    private sealed record Part(string Path, EvaluationShard Shard, EvaluationDescription Description, IReadOnlyList<(int Unit, EvaluationRow Row)> Rows, double Seconds, double LoadSeconds, int Networks);
}
