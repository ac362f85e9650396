using System.CommandLine;
using System.CommandLine.Parsing;

namespace EegDann.Cli;

/// <summary>What kind of path an option takes.</summary>
public enum PathKind
{
    /// <summary>A folder (created if missing where the command writes into it).</summary>
    Directory,

    /// <summary>A file (its folder must exist where the command writes it).</summary>
    File,
}

/// <summary>
/// One meaning per option name, in every command (docs/cli.md, "Options mean one thing
/// everywhere"): <c>--out DIR</c> is always the folder a command writes its files into,
/// <c>--out-file FILE</c> the one file it writes, <c>--report DIR</c> the folder that receives a
/// report's files, <c>--model FILE</c> a model file (read, or written by calibrate-new-subject),
/// <c>--seeds</c> a list of seeds and <c>--methods</c> a list of method names (commands that train
/// one model take a list of one). Checked before any command runs: a path of the wrong kind is
/// exit code 2 with a message naming the option. The spellings of the previous release
/// (<see cref="Deprecated"/>) still work, with a warning.
/// </summary>
public static class OptionConventions
{
    /// <summary>Every path-valued option name and the kind of path it takes, whatever the command.</summary>
    public static IReadOnlyDictionary<string, PathKind> Paths { get; } = new Dictionary<string, PathKind>(StringComparer.Ordinal)
    {
        ["--out"] = PathKind.Directory,
        ["--out-file"] = PathKind.File,
        ["--report"] = PathKind.Directory,
        ["--model"] = PathKind.File,
        ["--record"] = PathKind.Directory,
        ["--feature-cache"] = PathKind.Directory,
        ["--data"] = PathKind.Directory,
        ["--sources"] = PathKind.Directory,
        ["--repository"] = PathKind.Directory,
        ["--pipeline"] = PathKind.File,
        ["--source"] = PathKind.File,
        ["--target"] = PathKind.File,
        ["--replay"] = PathKind.File,
        ["--plot"] = PathKind.File,
        ["--config"] = PathKind.File,
        ["--log-json"] = PathKind.File,
    };

    /// <summary>
    /// The path options a command writes to: always these names, and <c>--model</c> in
    /// calibrate-new-subject (elsewhere it is read). Each is checked writable before the command
    /// runs, so an evaluation or a calibration does not compute for minutes and then fail to keep
    /// its result. Not the daemon's <c>--record</c>: a recording folder that cannot be written
    /// must not stop decoding (the daemon decodes on, with its health degraded and the loss counted).
    /// </summary>
    public static IReadOnlySet<string> Outputs { get; } = new HashSet<string>(StringComparer.Ordinal) { "--out", "--out-file", "--report", "--feature-cache", "--log-json", "--plot" };

    /// <summary>The previous release's spellings that still work, with a warning: (command, old spelling) → the option's name now.</summary>
    public static IReadOnlyDictionary<(string Command, string Alias), string> Deprecated { get; } = new Dictionary<(string, string), string>
    {
        [("calibrate-new-subject", "--out")] = "--model",
        [("calibrate-new-subject", "--seed")] = "--seeds",
        [("calibrate-new-subject", "--method")] = "--methods",
        [("export-features", "--out")] = "--out-file",
        [("replay", "--out")] = "--out-file",
        [("record", "--out")] = "--out-file",
        [("blobs", "--seed")] = "--seeds",
    };

    /// <summary>Adds the previous release's spelling of <paramref name="option"/> in <paramref name="command"/>, if there is one, as an alias.</summary>
    internal static T WithDeprecatedAliases<T>(this T option, string command)
        where T : Option
    {
        foreach (var ((name, alias), current) in Deprecated)
        {
            if (name == command && current == option.Name)
            {
                option.Aliases.Add(alias);
            }
        }

        return option;
    }

    /// <summary>The singular of a list option where only the list exists (<see cref="Suggestions"/>), else the first path given with the wrong kind for its option (an existing file for a folder option, an existing folder for a file option), naming the option; null when every path fits.</summary>
    public static string? Check(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        // A list option (--data DIR...) swallows a following unknown --seed as one of its values.
        if (Suggestions(parse) is { Count: > 0 } misspelt)
        {
            return string.Join(Environment.NewLine, misspelt);
        }

        foreach (var result in OptionResults(parse))
        {
            if (!Paths.TryGetValue(result.Option.Name, out var kind))
            {
                continue;
            }

            string typed = result.IdentifierToken?.Value ?? result.Option.Name;
            foreach (var path in result.Tokens.Select(t => t.Value))
            {
                if (kind == PathKind.Directory && File.Exists(path))
                {
                    return $"{typed} {path}: is a file; {result.Option.Name} takes a folder" + (result.Option.Name == "--out" ? " (--out-file names a file where a command writes one)" : "") + ".";
                }

                if (kind == PathKind.File && (Directory.Exists(path) || path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar)))
                {
                    return $"{typed} {path}: is a folder; {result.Option.Name} takes a file" + (result.Option.Name == "--out-file" ? " (--out names a folder where a command writes several files)" : "") + ".";
                }

                bool output = Outputs.Contains(result.Option.Name) || (result.Option.Name == "--model" && parse.CommandResult.Command.Name == "calibrate-new-subject");
                if (output && CannotWrite(path, kind) is { } why)
                {
                    return $"{typed} {path}: {why}.";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Each unknown <c>--name</c> whose plural is an option of the command (<c>evaluate --seed</c>,
    /// <c>evaluate --method</c>: these lists are <c>--seeds</c> and <c>--methods</c> everywhere), what to write instead:
    /// beside a parse error, or as the error when a list option took the token as one of its values.
    /// </summary>
    public static IReadOnlyList<string> Suggestions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var command = parse.CommandResult.Command;
        // An unknown option is left as an argument token (UnmatchedTokens stays empty while unmatched tokens are errors).
        return parse.Tokens
            .Where(t => t.Type == TokenType.Argument && t.Value.StartsWith("--", StringComparison.Ordinal))
            .Select(t => t.Value)
            .Distinct(StringComparer.Ordinal)
            .Select(t => (Typed: t, Option: command.Options.FirstOrDefault(o => o.Name == t + "s")))
            .Where(p => p.Option is not null)
            .Select(p => $"{p.Typed} is not an option of {command.Name}: write {p.Option!.Name} (one value or a list).")
            .ToArray();
    }

    /// <summary>One warning per deprecated spelling used: what to write instead.</summary>
    public static IReadOnlyList<string> Deprecations(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var warnings = new List<string>();
        foreach (var result in OptionResults(parse))
        {
            if (result.IdentifierToken?.Value is { } typed && typed != result.Option.Name
                && Deprecated.ContainsKey((parse.CommandResult.Command.Name, typed)))
            {
                warnings.Add($"{typed} is deprecated in {parse.CommandResult.Command.Name}: write {result.Option.Name} (the old spelling will be removed in the next release).");
            }
        }

        return warnings;
    }

    /// <summary>Splits list values given as <c>a,b</c>, repeated or space-separated into one list.</summary>
    public static string[] List(IEnumerable<string>? values) =>
        values?.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray() ?? [];

    /// <summary>
    /// Why nothing can be written at <paramref name="path"/>, or null: a file is created and deleted
    /// in its nearest existing folder (the folder itself, or the one it would be created in). Nothing
    /// is left behind and no folder is created.
    /// </summary>
    internal static string? CannotWrite(string path, PathKind kind)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"not a usable path ({e.Message})";
        }

        string? folder = kind == PathKind.Directory ? full : Path.GetDirectoryName(full);
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder))
            {
                return $"{folder} is a regular file, not a folder";
            }

            folder = Path.GetDirectoryName(folder);
        }

        if (folder is null)
        {
            return "no folder of it exists";
        }

        string probe = Path.Combine(folder, $".eegdann-write-check.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return $"cannot write in {folder} (permission denied)";
        }
        catch (IOException e)
        {
            return $"cannot write in {folder} ({(e is FileNotFoundException or DirectoryNotFoundException ? "it does not take new files" : e.Message)})";
        }
    }

    private static IEnumerable<OptionResult> OptionResults(ParseResult parse)
    {
        for (SymbolResult? command = parse.CommandResult; command is not null; command = command.Parent)
        {
            if (command is CommandResult c)
            {
                foreach (var child in c.Children.OfType<OptionResult>())
                {
                    yield return child;
                }
            }
        }
    }
}
