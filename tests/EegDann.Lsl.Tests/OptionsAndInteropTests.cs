using System.ComponentModel.DataAnnotations;

namespace EegDann.Lsl.Tests;

public sealed class LslOptionsTests
{
    [Fact]
    public void TheDefaultsStayOnThisMachineAndAreValid()
    {
        var options = new LslOptions();
        Assert.Equal(LslResolveScope.Machine, options.ResolveScope);
        Assert.Empty(Problems(options));
        var resolver = new LslResolver(options);
        Assert.All(resolver.Destinations(), d => Assert.True(System.Net.IPAddress.IsLoopback(d.Address)));
        Assert.Equal(33, resolver.Destinations().Count);
    }

    [Fact]
    public void NonLoopbackPeersEndpointsAndScopesNeedExplicitPermissionAndEveryProblemIsNamed()
    {
        var options = new LslOptions
        {
            ResolveScope = LslResolveScope.Site,
            KnownPeers = ["10.0.0.5", "not-an-ip"],
            Connect = ["192.168.1.2:16572", "127.0.0.1:0"],
            BasePort = 65530,
            SessionId = "it's",
        };
        var problems = Problems(options);
        Assert.Contains(problems, p => p.Contains("Lsl:ResolveScope Site", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("10.0.0.5 is not a loopback address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'not-an-ip' is not an IP address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("192.168.1.2:16572 is not a loopback address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'127.0.0.1:0': the port", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("past port 65535", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("SessionId", StringComparison.Ordinal));

        options.AllowNonLoopback = true;
        options.KnownPeers = ["10.0.0.5"];
        options.Connect = ["192.168.1.2:16572"];
        options.BasePort = 16572;
        options.SessionId = "default";
        Assert.Empty(Problems(options));
        Assert.Contains(new LslResolver(options).Destinations(), d => d.Address.ToString() == "239.255.172.215");
    }

    [Theory]
    [InlineData("name=CapF32", "session_id='default' and name='CapF32'")]
    [InlineData("CapF32", "session_id='default' and name='CapF32'")]
    [InlineData("type=EEG", "session_id='default' and type='EEG'")]
    [InlineData("source_id=amp-1;type=EEG", "session_id='default' and source_id='amp-1' and type='EEG'")]
    public void SelectorsBecomeLiblslsQuery(string selector, string query) =>
        Assert.Equal(query, LslStreamSelector.Parse(selector).ToQuery("default"));

    [Theory]
    [InlineData("")]
    [InlineData("colour=red")]
    [InlineData("name=")]
    [InlineData("name=it's")]
    public void BadSelectorsAreRefusedWithTheReason(string selector) =>
        Assert.False(LslStreamSelector.TryParse(selector, out _, out var problem) || problem is null);

    private static List<string> Problems(LslOptions options)
    {
        var result = new LslOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }
}

/// <summary>
/// Against a real liblsl outlet, when one runs: set <c>EEGDANN_LSL_INTEROP_STREAM</c> to its
/// selector (e.g. <c>name=BioSemi</c>, from liblsl's <c>SendData</c> example) on this machine.
/// Without it the test is reported as skipped, never as passed.
/// </summary>
public sealed class RealLiblslInteropTests
{
    public const string Variable = "EEGDANN_LSL_INTEROP_STREAM";

    [InteropFact]
    public async Task ARealLiblslOutletIsResolvedConnectedAndStreams()
    {
        var selector = LslStreamSelector.Parse(Environment.GetEnvironmentVariable(Variable)!);
        var options = new LslOptions { KnownPeers = ["127.0.0.1"] };
        var info = await new LslResolver(options).ResolveAsync(selector, TimeSpan.FromSeconds(5), 1) is [var first, ..] ? first : null;
        Assert.True(info != null, $"no LSL stream {selector} answered on this machine");
        await using var inlet = await LslInlet.ConnectAsync(info, new LslInletSettings(options.BufferSamples(info.NominalSrate), TimeSpan.FromSeconds(5)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var chunk = await inlet.ReadChunkAsync(100, timeout.Token);
        Assert.NotNull(chunk);
        Assert.True(chunk.Count > 0);
        using var time = new LslTimeCorrection(new System.Net.IPEndPoint(info.Address!, info.ServicePort), options);
        var estimate = await time.MeasureAsync(CancellationToken.None);
        Assert.NotNull(estimate);
        Assert.True(Math.Abs(estimate.Correction) < 1.0, $"same-host clocks differ by {estimate.Correction} s");
    }

    private sealed class InteropFactAttribute : FactAttribute
    {
        public InteropFactAttribute()
        {
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
            {
                Skip = $"no real liblsl outlet: set {Variable}=name=STREAM with a liblsl outlet running on this machine";
            }
        }
    }
}
