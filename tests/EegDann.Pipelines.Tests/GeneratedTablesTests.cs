using EegDann.Pipelines.Calibration;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>docs/evaluation.md's and docs/benchmarks.md's tables are generated from the committed reports and result files in bench/results and cannot drift from them.</summary>
public sealed class GeneratedTablesTests
{
    private static string ReadReport(string directoryOrFile)
    {
        string path = Path.Combine(TestData.RepositoryRoot, directoryOrFile);
        return File.ReadAllText(Directory.Exists(path) ? Path.Combine(path, "evaluation.json") : path);
    }

    private static string Loso => ReadReport("bench/results/evaluation-loso");

    [Theory]
    [InlineData("evaluation.md", 10)]
    [InlineData("benchmarks.md", 5)]
    public void TheGeneratedTablesOfAPageEqualWhatTheCommittedResultFilesGive(string name, int leastTables)
    {
        string page = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", name));

        string regenerated = GeneratedTables.Rewrite(page, ReadReport);

        Assert.True(page.Split('\n').Count(l => l.StartsWith(GeneratedTables.Open, StringComparison.Ordinal)) >= leastTables, $"docs/{name} should hold its generated tables");
        Assert.True(page == regenerated,
            $"docs/{name}'s generated tables differ from what bench/results gives; run "
            + "`dotnet run -c Release --project bench/EegDann.Bench -- evaluation-tables docs` and commit the page");
    }

    [Fact]
    public void TheSoakTableQuotesEachResultFileUnderItsQuotedLabel()
    {
        string page = "<!-- generated: soak \"after, 1\" bench/results/soak-after-state-file-1.json --rss-decimals=1 --threads -->\n<!-- /generated -->\n";

        var lines = GeneratedTables.Rewrite(page, ReadReport).Split('\n');

        Assert.Equal("| run | file | 24 h in | RSS at 2 h → 24 h | RSS max after 2 h | managed heap 2 h → 24 h | threads (max) | forward pass p99 (max) |", lines[1]);
        Assert.Equal("| after, 1 | `bench/results/soak-after-state-file-1.json` | 308 s (281×) | 326.6 → 325.3 MB, **−0.4 %** | 331.6 MB, **+1.5 %** | 78 → 72 MB | 20 → 20 (24) | 0.202 ms (0.318) |", lines[3]);
        Assert.Throws<ArgumentException>(() => BenchmarkTables.Render(BenchmarkTables.SoakKind, ["run", "bench/results/dann-step.json"], ReadReport));
    }

    [Fact]
    public void TheReadmesHeadlineEqualsWhatTheCommittedBenchAndReportsGive()
    {
        string page = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "README.md"));

        string regenerated = GeneratedTables.Rewrite(page, ReadReport);

        Assert.Contains("<!-- generated: bench bench/results/bench.json -->", page, StringComparison.Ordinal);
        Assert.Contains("| DANN training step |", regenerated, StringComparison.Ordinal);
        Assert.True(page == regenerated,
            "README.md's generated headline differs from what bench/results gives; run "
            + "`dotnet run -c Release --project bench/EegDann.Bench -- evaluation-tables docs` and commit the page");
    }

    [Fact]
    public void TheBenchHeadlineQuotesTheResultFileAndRefusesAnotherFile()
    {
        string json = ReadReport("bench/results/bench.json");
        using var document = System.Text.Json.JsonDocument.Parse(json);
        double p99 = document.RootElement.GetProperty("decode_latency_ms").GetProperty("p99").GetDouble();

        string table = GeneratedTables.BenchHeadline(json);

        Assert.Contains(p99.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " ms", table, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => GeneratedTables.BenchHeadline(Loso));
    }

    [Fact]
    public void ATableThatDriftedFromItsReportIsWrittenAgainAndTheTextAroundItKept()
    {
        string table = EvaluationTables.Render("table", [Loso], [EvaluationTables.NoInterval]);
        string drifted = table.Replace("| S001 | 0.511 |", "| S001 | 0.999 |", StringComparison.Ordinal);
        Assert.NotEqual(table, drifted);
        string page = "# Title\n\nBefore, *kept*.\n<!-- generated: table bench/results/evaluation-loso --no-interval -->\n" + drifted + "<!-- /generated -->\nAfter.\n";

        string rewritten = GeneratedTables.Rewrite(page, ReadReport);

        Assert.Equal("# Title\n\nBefore, *kept*.\n<!-- generated: table bench/results/evaluation-loso --no-interval -->\n" + table + "<!-- /generated -->\nAfter.\n", rewritten);
    }

    [Fact]
    public void TheTableOfAReportHasARowPerTargetAndTheSummaryRows()
    {
        var lines = EvaluationTables.Render("table", [Loso]).TrimEnd('\n').Split('\n');

        Assert.Equal("| target | source_only | reweighting | ea_source_only | csp_lda | ea_csp_lda | dann | ea_dann | ea_dann_x5 |", lines[0]);
        Assert.Equal(2 + 10 + 3, lines.Length);
        Assert.StartsWith("| **mean ± sd** | **0.558** ± 0.082 |", lines[12], StringComparison.Ordinal);
        Assert.StartsWith("| 95% interval of the mean |", lines[13], StringComparison.Ordinal);
        Assert.StartsWith("| seed means | 0.560 / 0.551 / 0.562 |", lines[14], StringComparison.Ordinal);
    }

    [Fact]
    public void VersusComparesMethodsOfDifferentReportsPairedOverTheirTargetsAsTheReportsOwnPairedTableDoes()
    {
        string seeds = ReadReport("bench/results/evaluation-loso-seeds0-4");

        // Within one report, versus gives the report's own paired comparison of the default with its twin.
        string versus = EvaluationTables.Render("versus", [seeds, seeds], [EvaluationTables.MethodsOption + "ea_dann_x5,ea_source_only_x5"]);
        string paired = EvaluationTables.Render("paired", [seeds]);
        Assert.Equal(paired.Split('\n')[2], versus.Split('\n')[2]);

        string labeled = EvaluationTables.Render("versus", [ReadReport("bench/results/evaluation-loso-executed-classic"), seeds], [EvaluationTables.MethodsOption + "ea_ts_lr@executed,ea_ts_lr"]);
        Assert.StartsWith("| ea_ts_lr (executed) − ea_ts_lr |", labeled.Split('\n')[2], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => EvaluationTables.Render("versus", [seeds, seeds], [EvaluationTables.MethodsOption + "ea_dann_x5,magic"]));
        Assert.Throws<ArgumentException>(() => EvaluationTables.Render("versus", [seeds], [EvaluationTables.MethodsOption + "ea_dann_x5"]));
        Assert.Throws<ArgumentException>(() => EvaluationTables.Render("versus", [seeds, seeds], []));
    }

    [Theory]
    [InlineData("<!-- generated: table bench/results/evaluation-loso -->\n| x |\n", "line 1: generated section not closed")]
    [InlineData("text\n<!-- /generated -->\n", "line 2: '<!-- /generated -->' without an opening")]
    [InlineData("a\nb\n<!-- generated: histogram bench/results/evaluation-loso -->\n<!-- /generated -->\n", "line 3: unknown table 'histogram'")]
    [InlineData("<!-- generated: ablation bench/results/evaluation-loso -->\n<!-- /generated -->\n", "line 1: table 'ablation' reads 2 report(s), not 1")]
    [InlineData("<!-- generated: paired bench/results/evaluation-loso --no-interval -->\n<!-- /generated -->\n", "line 1: table 'paired': unknown option '--no-interval'")]
    [InlineData("<!-- generated: table\n<!-- /generated -->\n", "line 1: a generated marker is one line ending in '-->'")]
    [InlineData("<!-- generated: reference bench/results/mi-reference-loso.jsonl -->\n<!-- /generated -->\n", "line 1: table 'reference' reads 2 file(s), not 1")]
    [InlineData("<!-- generated: reference bench/results/mi-reference-loso.jsonl bench/results/adversary-diagnostic.json -->\n<!-- /generated -->\n", "line 1: table 'reference': ")]
    [InlineData("<!-- generated: adversary bench/results/evaluation-loso -->\n<!-- /generated -->\n", "line 1: table 'adversary': ")]
    [InlineData("<!-- generated: soak bench/results/soak.json -->\n<!-- /generated -->\n", "line 1: table 'soak' reads LABEL FILE pairs, not 1 word(s)")]
    [InlineData("<!-- generated: soak run bench/results/soak.json --heap -->\n<!-- /generated -->\n", "line 1: table 'soak': unknown option '--heap'")]
    [InlineData("<!-- generated: soak \"after, 1 bench/results/soak.json -->\n<!-- /generated -->\n", "line 1: a quoted word of the marker is not closed")]
    [InlineData("<!-- generated: daemon-load bench/results/daemon-load.json bench/results/daemon-load.json -->\n<!-- /generated -->\n", "line 1: table 'daemon-load' reads 1 file, not 2")]
    [InlineData("<!-- generated: daemon-load bench/results/soak.json -->\n<!-- /generated -->\n", "line 1: table 'daemon-load': ")]
    public void AMalformedSectionIsRefusedNamingItsLine(string page, string message)
    {
        var error = Assert.Throws<FormatException>(() => GeneratedTables.Rewrite(page, ReadReport));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
