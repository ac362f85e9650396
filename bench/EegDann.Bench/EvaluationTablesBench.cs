using EegDann.Pipelines.Calibration;

namespace EegDann.Bench;

/// <summary>
/// The documentation's evaluation tables from report files (<c>evaluation.json</c> written by
/// <c>eegdann evaluate --report DIR</c>), so that no number in docs/evaluation.md is typed by hand.
/// <c>evaluation-tables docs</c> rewrites every generated section of docs/evaluation.md, docs/benchmarks.md
/// (the bench's result files, <see cref="BenchmarkTables"/>) and README.md (between
/// <c>&lt;!-- generated: KIND DIR … --&gt;</c> and <c>&lt;!-- /generated --&gt;</c>) from the
/// committed reports; <c>--check</c> only says whether the page is up to date (exit code 1 if not).
/// <c>table|paired|curve DIR</c> and <c>ablation DIR_WITHOUT DIR_WITH</c> print one table
/// (<see cref="EvaluationTables"/>).
/// </summary>
public sealed class EvaluationTablesBench : IBench
{
    private const string Usage = "usage: evaluation-tables docs [PAGE] [--check] | table [--no-interval]|paired|curve DIR | ablation DIR_WITHOUT DIR_WITH | versus DIR_A DIR_B [DIR_C DIR_D ...] --methods=A,B[,C,D ...]";

    /// <inheritdoc />
    public string Name => "evaluation-tables";

    /// <inheritdoc />
    public string Description => "docs/evaluation.md's and docs/benchmarks.md's tables and README.md's headline from bench/results: docs [PAGE] [--check], or print one: table|paired|curve DIR, ablation DIR_WITHOUT DIR_WITH";

    /// <inheritdoc />
    public async Task<int> RunAsync(BenchContext context, string[] args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length >= 1 && args[0] == "docs")
        {
            return await DocsAsync(context, args[1..]).ConfigureAwait(false);
        }

        var options = args.Skip(1).Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var directories = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        if (args.Length < 2 || !EvaluationTables.Kinds.Contains(args[0]))
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        try
        {
            var reports = directories.Select(d => File.ReadAllText(ReportPath(d))).ToArray();
            Console.Write(EvaluationTables.Render(args[0], reports, options));
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"evaluation-tables: {e.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>A report directory's evaluation.json (or the file itself).</summary>
    private static string ReportPath(string directoryOrFile) =>
        Directory.Exists(directoryOrFile) ? Path.Combine(directoryOrFile, "evaluation.json") : directoryOrFile;

    private static async Task<int> DocsAsync(BenchContext context, string[] args)
    {
        bool check = args.Contains("--check");
        var named = args.Where(a => a != "--check").Select(Path.GetFullPath).ToArray();
        var pages = named.Length > 0 ? named : DefaultPages.Select(p => Path.Combine(context.RepositoryRoot, p)).ToArray();
        int exit = 0;
        foreach (string page in pages)
        {
            exit = Math.Max(exit, await PageAsync(context, page, check).ConfigureAwait(false));
        }

        return exit;
    }

    /// <summary>The pages with generated sections: the evaluation tables, the benchmarks' tables, and the README's headline.</summary>
    public static IReadOnlyList<string> DefaultPages { get; } = [Path.Combine("docs", "evaluation.md"), Path.Combine("docs", "benchmarks.md"), "README.md"];

    private static async Task<int> PageAsync(BenchContext context, string page, bool check)
    {
        string before = await File.ReadAllTextAsync(page).ConfigureAwait(false);
        string after;
        try
        {
            after = GeneratedTables.Rewrite(before, d => File.ReadAllText(ReportPath(Path.Combine(context.RepositoryRoot, d))));
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"{page}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        if (check)
        {
            Console.WriteLine(before == after ? $"{page}: the generated tables are up to date" : $"{page}: the generated tables differ from the reports; run evaluation-tables docs");
            return before == after ? 0 : 1;
        }

        if (before != after)
        {
            string temporary = page + ".tmp";
            await File.WriteAllTextAsync(temporary, after).ConfigureAwait(false);
            File.Move(temporary, page, overwrite: true);
        }

        Console.WriteLine(before == after ? $"{page}: unchanged" : $"{page}: tables rewritten");
        return 0;
    }
}
