using System.CommandLine;

namespace EegDann.Cli.Tests;

public sealed class UnexpectedFaultTests
{
    [Fact]
    public async Task AnUnexpectedExceptionInACommandExitsWithTheInternalCodeInsteadOfOne()
    {
        var root = new RootCommand("test");
        var boom = new Command("boom", "throws");
        boom.SetAction(new Func<ParseResult, int>(_ => throw new InvalidCastException("a bug")));
        root.Subcommands.Add(boom);

        int code = await EegDannCli.RunAsync(["boom"], root);

        Assert.Equal(ExitCodes.Internal, code);
    }

    [Fact]
    public async Task AnUnknownCommandIsAParseErrorNotAFault()
    {
        int code = await EegDannCli.RunAsync(["no-such-command"]);

        Assert.NotEqual(ExitCodes.Success, code);
        Assert.NotEqual(ExitCodes.Internal, code);
    }
}
