using System.Globalization;

namespace EegDann.Pipelines.UseCases;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (1-based) of a sharded evaluation: it runs the
/// units whose position in the evaluation's unit list is <c>Index − 1</c> modulo <c>Count</c>, and
/// writes their rows to <c>part-K-of-N.parquet</c>.
/// </summary>
/// <param name="Index">K, from 1 to <paramref name="Count"/>.</param>
/// <param name="Count">N ≥ 1.</param>
public sealed record EvaluationShard(int Index, int Count)
{
    /// <summary>The part file this shard writes: <c>part-K-of-N.parquet</c>.</summary>
    public string FileName => PartFileName(Index, Count);

    /// <summary>The part file of shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static string PartFileName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"part-{index}-of-{count}.parquet");

    /// <summary>Whether the unit at <paramref name="unitIndex"/> (0-based) belongs to this shard.</summary>
    public bool Contains(int unitIndex) => unitIndex % Count == Index - 1;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>Parses <c>K/N</c> (1 ≤ K ≤ N).</summary>
    /// <exception cref="FormatException">When the text is not K/N with 1 ≤ K ≤ N; the message says why.</exception>
    public static EvaluationShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            return Create(k, n, $"'{text}'");
        }

        throw new FormatException($"'{text}' is not K/N (e.g. 2/3: the second of three shards).");
    }

    /// <summary>
    /// The shard a job scheduler gives through the environment, or null when none does:
    /// Slurm job arrays (<c>SLURM_ARRAY_TASK_ID</c> with <c>SLURM_ARRAY_TASK_COUNT</c>, or with
    /// <c>SLURM_ARRAY_TASK_MIN</c>/<c>MAX</c>: K = ID − MIN + 1), or a Kubernetes Indexed Job
    /// (<c>JOB_COMPLETION_INDEX</c>, 0-based, with <paramref name="configuredCount"/> as N, the Job's
    /// <c>completions</c>).
    /// </summary>
    /// <param name="environment">Environment variables (name → value).</param>
    /// <param name="configuredCount">N for a Kubernetes Indexed Job (<c>--shards</c>), or null.</param>
    /// <exception cref="FormatException">When the variables are set but do not give a shard (named in the message).</exception>
    public static EvaluationShard? FromEnvironment(IReadOnlyDictionary<string, string?> environment, int? configuredCount)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        int Number(string name)
        {
            string text = Get(name)!;
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new FormatException($"{name}={text} is not a whole number.");
        }

        if (Get("SLURM_ARRAY_TASK_ID") is not null)
        {
            int id = Number("SLURM_ARRAY_TASK_ID");
            int min = Get("SLURM_ARRAY_TASK_MIN") is null ? 0 : Number("SLURM_ARRAY_TASK_MIN");
            int count;
            if (Get("SLURM_ARRAY_TASK_COUNT") is not null)
            {
                count = Number("SLURM_ARRAY_TASK_COUNT");
            }
            else if (Get("SLURM_ARRAY_TASK_MIN") is not null && Get("SLURM_ARRAY_TASK_MAX") is not null)
            {
                count = Number("SLURM_ARRAY_TASK_MAX") - min + 1;
            }
            else
            {
                throw new FormatException("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX: give --shard K/N.");
            }

            // Arrays numbered 0..N-1 or 1..N (or any MIN..MAX without gaps) all map to 1..N.
            return Create(id - min + 1, count, $"SLURM_ARRAY_TASK_ID={id} (MIN {min}, COUNT {count})");
        }

        if (Get("JOB_COMPLETION_INDEX") is not null)
        {
            int index = Number("JOB_COMPLETION_INDEX");
            return configuredCount is { } n
                ? Create(index + 1, n, $"JOB_COMPLETION_INDEX={index} with --shards {n}")
                : throw new FormatException($"JOB_COMPLETION_INDEX={index} is set: give the Job's completions as --shards N.");
        }

        return null;
    }

    private static EvaluationShard Create(int k, int n, string what) =>
        n >= 1 && k >= 1 && k <= n
            ? new EvaluationShard(k, n)
            : throw new FormatException($"{what}: shard {k} of {n} does not exist (1 ≤ K ≤ N, N ≥ 1).");
}
