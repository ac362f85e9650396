using EegDann.TestSupport;

namespace EegDann.Cli.Tests;

/// <summary>Mistakes and interruptions a lab makes: each ends with a clear message and an exit code that says what happened, never a stack trace.</summary>
public sealed class HostileInputCommandTests
{
    [Fact]
    public async Task ImportWithOutUnderARegularFileExitsWithBadInputNamingTheFile()
    {
        using var dir = TestData.NewTemporaryDirectory();
        string file = dir.File("a-file");
        await File.WriteAllTextAsync(file, "not a folder");
        string edf = dir.File("x.edf");
        await File.WriteAllTextAsync(edf, "0       ");

        var run = await EegDannProcess.RunAsync("import", edf, "--out", Path.Combine(file, "out"));

        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}:\n{run.StdErr}");
        Assert.Contains($"{file} is a regular file", run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }
}
