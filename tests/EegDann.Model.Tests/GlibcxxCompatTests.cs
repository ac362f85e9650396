using EegDann.Build;
using EegDann.TestSupport;

namespace EegDann.Model.Tests;

/// <summary>The ELF rewrite behind the build step that makes libLibTorchSharp.so load on Debian 12.</summary>
public sealed class GlibcxxCompatTests
{
    [Theory]
    [InlineData("", 0u)]
    [InlineData("printf", 0x077905a6u)]
    [InlineData("GLIBCXX_3.4", 0x08922974u)]
    [InlineData("GLIBC_2.2.5", 0x09691a75u)]
    public void ElfHashMatchesTheSystemVDefinition(string name, uint expected)
    {
        Assert.Equal(expected, ElfVersionNeeds.ElfHash(name));
    }

    [Fact]
    public void ShippedShimNeedsGlibcxx3432AndThePatchedCopyNeeds3430Instead()
    {
        byte[] shipped = File.ReadAllBytes(ShippedShim());
        var before = ElfVersionNeeds.ReadNeeds(shipped);
        Assert.Contains(before, n => n.File == "libstdc++.so.6" && n.Name == "GLIBCXX_3.4.32");

        var outcome = ElfVersionNeeds.Rename(shipped, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30");

        Assert.Equal(ElfRenameOutcome.Renamed, outcome);
        var after = ElfVersionNeeds.ReadNeeds(shipped);
        Assert.DoesNotContain(after, n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal(before.Count, after.Count);
        // Exactly one entry changed, and its stored hash is the hash of its new name.
        var changed = after.Where((n, i) => n.Name != before[i].Name).ToList();
        var entry = Assert.Single(changed);
        Assert.Equal("GLIBCXX_3.4.30", entry.Name);
        Assert.Equal(ElfVersionNeeds.ElfHash("GLIBCXX_3.4.30"), entry.Hash);
        Assert.All(after, n => Assert.Equal(ElfVersionNeeds.ElfHash(n.Name), n.Hash));
        // A second pass finds nothing to do.
        Assert.Equal(ElfRenameOutcome.NotPresent, ElfVersionNeeds.Rename(shipped, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30"));
    }

    [Fact]
    public void BuildOutputCopyIsPatchedExactlyWhenTheSystemLibStdCxxLacks3432()
    {
        string? system = SystemLibStdCxx.Locate();
        Assert.NotNull(system);
        bool systemHas3432 = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(system!)).Contains("GLIBCXX_3.4.32");
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

        var needs = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(output));

        Assert.Equal(systemHas3432, needs.Any(n => n.Name == "GLIBCXX_3.4.32"));
        // The NuGet cache keeps the file as shipped.
        Assert.Contains(ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(ShippedShim())), n => n.Name == "GLIBCXX_3.4.32");
    }

    [Fact]
    public void SystemLibStdCxxDefinitionsAreRead()
    {
        string? system = SystemLibStdCxx.Locate();
        Assert.NotNull(system);

        var defined = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(system!));

        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [Fact]
    public void NonElfInputIsRefusedWithAClearMessage()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.ReadNeeds(new byte[128]));
        Assert.Contains("not an ELF file", e.Message);
    }

    [Fact]
    public void TruncatedElfIsRefusedRatherThanMisread()
    {
        byte[] shipped = File.ReadAllBytes(ShippedShim());
        byte[] truncated = shipped[..4096];

        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.ReadNeeds(truncated));
    }

    private static string ShippedShim()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"the TorchSharp package is not restored at {path}");
        return path;
    }
}
