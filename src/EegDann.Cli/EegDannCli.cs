using System.CommandLine;
using EegDann.Core;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Formatting.Compact;

namespace EegDann.Cli;

/// <summary>The <c>eegdann</c> command line: parses, sets up logging, runs one command.</summary>
public static class EegDannCli
{
    /// <summary>Global option: configuration file layered over the default appsettings.json.</summary>
    public static readonly Option<FileInfo?> ConfigOption = new("--config")
    {
        Description = "An appsettings.json to layer over the defaults (beside the executable, then the current directory).",
        Recursive = true,
    };

    /// <summary>
    /// Global option: the instance name of one of several daemons on a host. Its settings file
    /// <c>appsettings.NAME.json</c> (in the folder of <c>--config</c>, else the current directory) is
    /// layered over the shared settings, and every log event carries <c>Instance</c>.
    /// </summary>
    public static readonly Option<string?> InstanceOption = new("--instance")
    {
        Description = "Instance name (letters, digits, '-', '_', '.'): layer appsettings.NAME.json (beside --config, else in the current directory) over the shared settings.",
        Recursive = true,
    };

    /// <summary>Global option: also write compact-JSON log events to this file.</summary>
    public static readonly Option<FileInfo?> LogJsonOption = new("--log-json")
    {
        Description = "Also write structured log events (compact JSON, one per line) to this file.",
        Recursive = true,
    };

    /// <summary>Global option: log level.</summary>
    public static readonly Option<string?> VerbosityOption = new("--log-level")
    {
        Description = "Minimum log level: Verbose, Debug, Information, Warning, Error, Fatal.",
        Recursive = true,
    };

    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, BuildRootCommand());

    /// <summary>Runs <paramref name="args"/> against a given command tree (tests use it to inject faults).</summary>
    public static async Task<int> RunAsync(string[] args, RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var parse = root.Parse(args);
        string? problem = parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction
            ? string.Join(Environment.NewLine, parse.Errors.Select(e => e.Message).Concat(OptionConventions.Suggestions(parse))) + $"{Environment.NewLine}({CommandPath(parse)} --help lists the options)"
            : CheckGlobalOptions(parse) ?? OptionConventions.Check(parse);
        Log.Logger = problem is null ? CreateLogger(parse) : new LoggerConfiguration().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        try
        {
            if (problem is not null)
            {
                Log.Error("{Problem}", problem);
                return ExitCodes.BadInput;
            }

            foreach (string warning in OptionConventions.Deprecations(parse))
            {
                Log.Warning("{Deprecation}", warning);
            }

            // Our own handler below logs the fault (with its stack trace) and returns ExitCodes.Internal;
            // System.CommandLine's default one would print and exit 1 before Log.Fatal ever ran.
            // SIGTERM/Ctrl-C cancel the command; the daemon needs up to its 4-s shutdown budget to drain and close its recording,
            // and lsl record writes what it received (an hour of 64 channels at 2 kHz is 1.9 GB of samples).
            bool writesOnStop = parse.CommandResult.Command.Name == "record" && parse.CommandResult.Parent is System.CommandLine.Parsing.CommandResult { Command.Name: "lsl" };
            var termination = TimeSpan.FromSeconds(writesOnStop ? 120 : 5);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = termination });
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl-C: every command writes its files atomically (all or nothing), so
            // stopping here leaves no partial output.
            Log.Warning("eegdann: stopped (SIGTERM or Ctrl-C) before the command finished; nothing was written");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system refused (a path under a regular file, no permission, a full disk):
            // the environment, not a bug; the message names the path.
            Log.Error("eegdann: {Problem}", e.Message);
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            Log.Fatal(e, "eegdann stopped unexpectedly");
            return ExitCodes.Internal;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    /// <summary>Builds the command tree (exposed for tests).</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("EegDann: cross-subject EEG motor-imagery decoding with domain-adversarial networks.");
        root.Options.Add(ConfigOption);
        root.Options.Add(InstanceOption);
        root.Options.Add(LogJsonOption);
        root.Options.Add(VerbosityOption);
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(RecoverCommand.Create());
        root.Subcommands.Add(ExportFeaturesCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(DaemonCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ListenCommand.Create());
        root.Subcommands.Add(LslCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>The layered configuration: appsettings.json beside the executable, in the current directory, --config, EEGDANN_ environment variables.</summary>
    public static IConfiguration LoadConfiguration(ParseResult parse)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        var extra = parse.GetValue(ConfigOption);
        if (extra != null)
        {
            builder.AddJsonFile(extra.FullName, optional: false);
        }

        if (InstanceSettingsFile(parse) is { } instance)
        {
            builder.AddJsonFile(instance.FullName, optional: false);
        }

        return builder.AddEnvironmentVariables("EEGDANN_").Build();
    }

    /// <summary>
    /// The instance's settings file, <c>appsettings.NAME.json</c> beside <c>--config</c> (else in the
    /// current directory), or null without <c>--instance</c>.
    /// </summary>
    public static FileInfo? InstanceSettingsFile(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(InstanceOption) is not { } name)
        {
            return null;
        }

        string folder = parse.GetValue(ConfigOption)?.DirectoryName ?? Directory.GetCurrentDirectory();
        return new FileInfo(Path.Combine(folder, $"appsettings.{name}.json"));
    }

    /// <summary>The command as typed, e.g. <c>eegdann evaluate merge</c>.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, c.Command is RootCommand ? "eegdann" : c.Command.Name);
        }

        return string.Join(' ', names);
    }

    /// <summary>True for an instance name that is one plain file-name part (systemd's %i of eegdann@NAME).</summary>
    private static bool IsInstanceName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The log levels <c>--log-level</c> takes.</summary>
    private static readonly string[] LogLevels = Enum.GetNames<Serilog.Events.LogEventLevel>();

    /// <summary>
    /// Checks the global options before anything runs: the <c>--config</c> file exists and is valid JSON, and
    /// <c>--log-level</c> names a level. Returns the problem, naming the option, or null.
    /// </summary>
    private static string? CheckGlobalOptions(ParseResult parse)
    {
        if (parse.GetValue(VerbosityOption) is { } level && !LogLevels.Contains(level, StringComparer.OrdinalIgnoreCase))
        {
            return $"--log-level '{level}' is not a log level: use one of {string.Join(", ", LogLevels)}.";
        }

        if (parse.GetValue(InstanceOption) is { } name)
        {
            if (!IsInstanceName(name))
            {
                return $"--instance '{name}': use letters, digits, '-', '_' and '.' only (it names appsettings.NAME.json).";
            }

            if (InstanceSettingsFile(parse) is { Exists: false } missing)
            {
                return $"--instance {name}: no settings file {missing.FullName}.";
            }
        }

        if (parse.GetValue(ConfigOption) is { } config)
        {
            if (!config.Exists)
            {
                return $"--config {config.FullName}: no such file.";
            }
        }

        if (parse.GetValue(ConfigOption) is not null || parse.GetValue(InstanceOption) is not null)
        {
            try
            {
                LoadConfiguration(parse);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
            {
                string option = parse.GetValue(ConfigOption) is { } file
                    && (parse.GetValue(InstanceOption) is null || e.Message.Contains(file.FullName, StringComparison.Ordinal))
                    ? $"--config {file.FullName}"
                    : $"--instance {parse.GetValue(InstanceOption)} ({InstanceSettingsFile(parse)!.FullName})";
                return $"{option}: cannot be read as settings: {e.Message}";
            }
        }

        return null;
    }

    private static ILogger CreateLogger(ParseResult parse)
    {
        IConfiguration configuration;
        try
        {
            configuration = LoadConfiguration(parse);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            Console.Error.WriteLine($"eegdann: cannot read the configuration: {e.Message}");
            configuration = new ConfigurationBuilder().Build();
        }

        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(configuration)
            .Enrich.WithProperty("EegDannVersion", EegDannVersion.Current);
        if (parse.GetValue(InstanceOption) is { } instance)
        {
            logger.Enrich.WithProperty("Instance", instance);
        }

        if (!configuration.GetSection("Serilog").Exists())
        {
            logger.WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
        }

        var level = parse.GetValue(VerbosityOption);
        if (level != null && Enum.TryParse<Serilog.Events.LogEventLevel>(level, ignoreCase: true, out var minimum))
        {
            logger.MinimumLevel.Is(minimum);
        }

        var json = parse.GetValue(LogJsonOption);
        if (json != null)
        {
            logger.WriteTo.File(new CompactJsonFormatter(), json.FullName);
        }

        return logger.CreateLogger();
    }
}
