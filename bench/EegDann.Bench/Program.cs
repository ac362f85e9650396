using System.Reflection;
using EegDann.Bench;

// Usage: dotnet run -c Release --project bench/EegDann.Bench -- <name> [args] | list | all
var benches = typeof(IBench).Assembly.GetTypes()
    .Where(t => typeof(IBench).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBench)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

string root = FindRoot();
var context = new BenchContext
{
    RepositoryRoot = root,
    PeersDirectory = FindShared(root, "peers"),
    RawDirectory = FindShared(root, "recordings-raw"),
    ResultsDirectory = Directory.CreateDirectory(Path.Combine(root, "bench", "results")).FullName,
    Python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null,
};

if (args.Length == 0 || args[0] is "list" or "--help" or "-h")
{
    Console.WriteLine("Benchmarks (dotnet run -c Release --project bench/EegDann.Bench -- NAME [args]):");
    foreach (var b in benches)
    {
        Console.WriteLine($"  {b.Name,-22} {b.Description}");
    }

    Console.WriteLine("  all                    every benchmark above, one after the other");
    return 0;
}

var selected = args[0] == "all" ? benches : benches.Where(b => b.Name == args[0]).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"No benchmark named '{args[0]}'. Run with 'list' to see them.");
    return 2;
}

int code = 0;
foreach (var bench in selected)
{
    Console.WriteLine($"== {bench.Name}: {bench.Description}");
    code = Math.Max(code, await bench.RunAsync(context, args.Skip(1).ToArray()));
}

return code;

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "EegDann.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

static string? FindShared(string root, string name)
{
    var env = Environment.GetEnvironmentVariable("EEGDANN_SHARED_DIR");
    if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, name)))
    {
        return Path.Combine(env, name);
    }

    for (var dir = new DirectoryInfo(root); dir != null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", name);
        if (Directory.Exists(candidate))
        {
            return candidate;
        }
    }

    return null;
}



