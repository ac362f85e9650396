using System.CommandLine;
using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>One meaning per option name in every command: paths of the right kind, lists for seeds and methods, the old spellings with a warning.</summary>
public sealed class OptionConventionsTests
{
    private static readonly string Recording = Path.Combine(TestData.RecordingsDirectory, "S001R04.parquet");
    private static readonly string Pipeline = Path.Combine(TestData.PipelinesDirectory, "mi-logvar.json");

    private static IEnumerable<(string Command, Option Option)> EveryOption(Command command, string path)
    {
        foreach (var option in command.Options)
        {
            yield return (path, option);
        }

        foreach (var sub in command.Subcommands)
        {
            foreach (var o in EveryOption(sub, path + " " + sub.Name))
            {
                yield return o;
            }
        }
    }

    [Fact]
    public void EveryPathOptionTakesTheSameKindOfPathInEveryCommand()
    {
        var options = EveryOption(EegDannCli.BuildRootCommand(), "eegdann").ToArray();
        var checkedOptions = 0;
        foreach (var (command, option) in options)
        {
            if (!OptionConventions.Paths.TryGetValue(option.Name, out var kind))
            {
                continue;
            }

            var expected = kind == PathKind.Directory ? typeof(DirectoryInfo) : typeof(FileInfo);
            var type = option.ValueType.IsArray ? option.ValueType.GetElementType()! : option.ValueType;
            Assert.True(type == expected, $"{command} {option.Name} takes {type.Name}, but {option.Name} means a {kind} in every command");
            checkedOptions++;
        }

        Assert.True(checkedOptions >= 15, $"only {checkedOptions} path options found");
        var names = options.Select(o => o.Option.Name).ToHashSet();
        Assert.Contains("--out", names);
        Assert.Contains("--out-file", names);
        Assert.DoesNotContain("--seed", names);
        Assert.DoesNotContain("--method", names);
    }

    [Fact]
    public void SeedsAndMethodsAreListsWhereverTheyAppear()
    {
        foreach (var (command, option) in EveryOption(EegDannCli.BuildRootCommand(), "eegdann"))
        {
            if (option.Name == "--seeds")
            {
                Assert.True(option.ValueType == typeof(string), $"{command} --seeds should be a list text such as 0,1,2 or 0-4");
            }

            if (option.Name == "--methods")
            {
                Assert.True(option.ValueType == typeof(string[]) && option.AllowMultipleArgumentsPerToken, $"{command} --methods should take comma-separated or repeated names");
            }
        }
    }

    [Fact]
    public void EveryDeprecatedSpellingIsAnAliasOfTheOptionItNames()
    {
        var options = EveryOption(EegDannCli.BuildRootCommand(), "eegdann").ToArray();
        foreach (var ((command, alias), current) in OptionConventions.Deprecated)
        {
            Assert.Contains(options, o => o.Command.EndsWith(" " + command, StringComparison.Ordinal) && o.Option.Name == current && o.Option.Aliases.Contains(alias));
        }
    }

    [Fact]
    public void AFileWhereAFolderOptionIsExpectedIsNamedWithItsOption()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string file = dir.File("a-file");
        File.WriteAllText(file, "x");
        var root = EegDannCli.BuildRootCommand();

        string? import = OptionConventions.Check(root.Parse(["import", Recording, "--out", file]));
        string? report = OptionConventions.Check(root.Parse(["evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--report", file]));

        Assert.StartsWith($"--out {file}: is a file; --out takes a folder", import, StringComparison.Ordinal);
        Assert.StartsWith($"--report {file}: is a file; --report takes a folder", report, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSingularSeedOrMethodWhereOnlyTheListExistsPointsToTheList()
    {
        var root = EegDannCli.BuildRootCommand();

        var evaluate = OptionConventions.Suggestions(root.Parse(["evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--seed", "0", "--method", "dann"]));
        var unknown = OptionConventions.Suggestions(root.Parse(["evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--colour", "red"]));
        var deprecated = OptionConventions.Suggestions(root.Parse(["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--seed", "1"]));

        Assert.Equal(["--seed is not an option of evaluate: write --seeds (one value or a list).", "--method is not an option of evaluate: write --methods (one value or a list)."], evaluate);
        Assert.Empty(unknown);
        Assert.Empty(deprecated);
        // After --data DIR... the parser takes --seed as a second folder: no parse error, still refused (exit 2) before the command runs.
        var swallowed = root.Parse(["evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--seed", "0"]);
        Assert.Empty(swallowed.Errors);
        Assert.Equal("--seed is not an option of evaluate: write --seeds (one value or a list).", OptionConventions.Check(swallowed));
    }

    [Fact]
    public void AFolderWhereAFileOptionIsExpectedIsNamedWithItsOption()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var root = EegDannCli.BuildRootCommand();

        string? export = OptionConventions.Check(root.Parse(["export-features", "--pipeline", Pipeline, Recording, "--out-file", dir.Path]));
        string? model = OptionConventions.Check(root.Parse(["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--model", dir.Path + "/"]));
        string? oldSpelling = OptionConventions.Check(root.Parse(["replay", Recording, "--model", dir.File("m.eegdann"), "--out", dir.Path]));

        Assert.StartsWith($"--out-file {dir.Path}: is a folder; --out-file takes a file", export, StringComparison.Ordinal);
        Assert.StartsWith($"--model {dir.Path}/: is a folder; --model takes a file", model, StringComparison.Ordinal);
        Assert.StartsWith($"--out {dir.Path}: is a folder; --out-file takes a file", oldSpelling, StringComparison.Ordinal);
    }

    [Fact]
    public void PathsOfTheRightKindPassWhetherOrNotTheyExistYet()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var root = EegDannCli.BuildRootCommand();

        Assert.Null(OptionConventions.Check(root.Parse(["import", Recording, "--out", dir.Path])));
        Assert.Null(OptionConventions.Check(root.Parse(["import", Recording, "--out", dir.File("new")])));
        Assert.Null(OptionConventions.Check(root.Parse(["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--model", dir.File("m.eegdann"), "--report", dir.File("report")])));
    }

    [Fact]
    public void AnOutputWhereNothingCanBeWrittenIsRefusedBeforeTheCommandRunsAndTheCheckLeavesNothingBehind()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var root = EegDannCli.BuildRootCommand();
        string file = dir.File("plain.txt");
        File.WriteAllText(file, "x");
        string? Check(params string[] args) => OptionConventions.Check(root.Parse(args));

        // /proc takes no new files, even for root (a read-only folder would not stop a test run as root).
        Assert.Equal("--report /proc/eegdann-report: cannot write in /proc (it does not take new files).", Check("evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--report", "/proc/eegdann-report"));
        Assert.Equal("--model /proc/m.eegdann: cannot write in /proc (it does not take new files).", Check("calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--model", "/proc/m.eegdann"));
        Assert.Equal("--out-file /proc/d.parquet: cannot write in /proc (it does not take new files).", Check("replay", Recording, "--model", dir.File("m.eegdann"), "--out-file", "/proc/d.parquet"));
        Assert.Equal("--log-json /proc/log.json: cannot write in /proc (it does not take new files).", Check("info", Recording, "--log-json", "/proc/log.json"));
        Assert.Equal($"--out {file}/sub: {file} is a regular file, not a folder.", Check("import", Recording, "--out", file + "/sub"));

        // Read, not written: replay's --model. And the daemon's --record: a folder it cannot write must not stop decoding.
        Assert.Null(Check("replay", Recording, "--model", "/proc/version"));
        Assert.Null(Check("daemon", "--replay", Recording, "--model", dir.File("m.eegdann"), "--record", "/proc/eegdann-sessions"));

        // A folder that does not exist yet passes when the nearest existing one takes files, and is not created.
        Assert.Null(Check("import", Recording, "--out", dir.File("new/deeper")));
        Assert.Null(Check("evaluate", "--pipeline", Pipeline, "--data", TestData.RecordingsDirectory, "--report", dir.Path));
        Assert.Equal([file], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void TheOldSpellingsStillParseAndEachGetsAWarningNamingTheNewOne()
    {
        using var dir = TestData.NewTemporaryDirectory();
        var root = EegDannCli.BuildRootCommand();
        var parse = root.Parse(["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--out", dir.File("m.eegdann"), "--seed", "3", "--method", "dann"]);

        var warnings = OptionConventions.Deprecations(parse);

        Assert.Empty(parse.Errors);
        Assert.Equal(
            [
                "--out is deprecated in calibrate-new-subject: write --model (the old spelling will be removed in the next release).",
                "--seed is deprecated in calibrate-new-subject: write --seeds (the old spelling will be removed in the next release).",
                "--method is deprecated in calibrate-new-subject: write --methods (the old spelling will be removed in the next release).",
            ],
            warnings);
        Assert.Empty(OptionConventions.Deprecations(root.Parse(["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--model", dir.File("m.eegdann"), "--seeds", "3", "--methods", "dann"])));
    }

    [Theory]
    [InlineData("a,b", new[] { "a", "b" })]
    [InlineData(" a , b ,", new[] { "a", "b" })]
    public void AListIsCommaSeparatedOrRepeated(string text, string[] expected)
    {
        Assert.Equal(expected, OptionConventions.List([text]));
        Assert.Equal(["a", "b", "c"], OptionConventions.List(["a", "b,c"]));
        Assert.Empty(OptionConventions.List(null));
    }

    [Fact]
    public async Task APathOfTheWrongKindStopsTheCommandWithExitCode2NamingTheOption()
    {
        using var dir = TestData.NewTemporaryDirectory();

        var run = await EegDannProcess.RunAsync("export-features", "--pipeline", Pipeline, Recording, "--out-file", dir.Path);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains($"--out-file {dir.Path}: is a folder; --out-file takes a file", run.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task SeveralSeedsOrMethodsForOneModelAreRefusedWithExitCode2NamingTheOption()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string[] calibrate = ["calibrate-new-subject", "--pipeline", Pipeline, "--source", Recording, "--target", Recording, "--model", dir.File("m.eegdann")];

        var seeds = await EegDannProcess.RunAsync([.. calibrate, "--seeds", "0-2"]);
        var methods = await EegDannProcess.RunAsync([.. calibrate, "--methods", "dann,ea_dann"]);

        Assert.Equal(ExitCodes.BadInput, seeds.ExitCode);
        Assert.Contains("--seeds 0-2: calibrate-new-subject trains one model; give one seed", seeds.StdErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, methods.ExitCode);
        Assert.Contains("--methods dann,ea_dann: calibrate-new-subject trains one model; give one method", methods.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("m.eegdann")));
    }

    [Fact]
    public async Task AParseErrorIsExitCode2NamingTheCommand()
    {
        var run = await EegDannProcess.RunAsync("info");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("Required argument 'FILE' missing", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("eegdann info --help", run.StdErr, StringComparison.Ordinal);
    }
}
