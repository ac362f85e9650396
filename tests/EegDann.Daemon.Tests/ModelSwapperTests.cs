using EegDann.Core;
using EegDann.Daemon.Acquisition;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Processing;
using EegDann.Dsp.Resampling;
using EegDann.Pipelines;
using EegDann.Pipelines.Signal;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>The model bound to the stream and its hot swap; the source-rate refusal.</summary>
public sealed class ModelSwapperTests
{
    [Fact]
    public void AModelThatLacksTheStreamsChannelsIsBoundWithoutAFrontEndAndTheReason()
    {
        using var context = new SwapperContext();
        var recording = TestModels.Read("S002", "R04");
        var small = new SignalInfo(160, ["C3", "Cz", "C4"]);
        context.Swapper.Bind(new StreamDescription(small, "test", "S002"), "S002", context.Models.Current, context.Consumer);
        Assert.Null(context.Swapper.FrontEnd);
        Assert.Equal(FailSafeReason.ChannelMismatch, context.Swapper.Mismatch.Reason);
        Assert.Contains("C5", context.Swapper.Mismatch.Detail, StringComparison.Ordinal);
        Assert.NotNull(context.Swapper.Raw);
        Assert.Equal(recording.Info.SampleRateHz, context.Swapper.Rate.PipelineRateHz);
    }

    [Theory]
    [InlineData(160.0)]
    [InlineData(250.0)]
    [InlineData(512.0)]
    public void TheSwapperPlacesSourceIndicesWithItsFrontEndsRateMappingAndWithThePipelinesWhenItHasNone(double rate)
    {
        using var context = new SwapperContext();
        var channels = TestModels.Read("S002", "R04").Info.Channels;
        var model = context.Models.Current;
        context.Swapper.Bind(new StreamDescription(new SignalInfo(rate, channels), "test", "S002"), "S002", model, context.Consumer);
        Assert.NotNull(context.Swapper.FrontEnd);
        Assert.Equal(context.Swapper.FrontEnd.Rate, context.Swapper.Rate);
        Assert.Equal(rate, context.Swapper.Rate.SourceRateHz);

        context.Swapper.Bind(new StreamDescription(new SignalInfo(rate, ["C3", "Cz", "C4"]), "test", "S002"), "S002", model, context.Consumer);
        Assert.Null(context.Swapper.FrontEnd);
        Assert.Equal(model.Definition.Signal.RateFrom(rate), context.Swapper.Rate);
    }

    [Theory]
    [InlineData(50.0)]
    [InlineData(60.0)]
    public void ASourceWhoseNyquistFrequencyIsAtOrBelowThePipelinesHighestBandEdgeIsAnUnsupportedRateNamingTheRateAndTheBand(double rate)
    {
        using var context = new SwapperContext();
        var channels = TestModels.Read("S002", "R04").Info.Channels;
        context.Swapper.Bind(new StreamDescription(new SignalInfo(rate, channels), "test", "S002"), "S002", context.Models.Current, context.Consumer);
        Assert.Null(context.Swapper.FrontEnd);
        Assert.Equal(FailSafeReason.UnsupportedRate, context.Swapper.Mismatch.Reason);
        string detail = context.Swapper.Mismatch.Detail;
        Assert.Contains($"a {rate} Hz source", detail, StringComparison.Ordinal);
        Assert.Contains($"Nyquist frequency {rate / 2} Hz", detail, StringComparison.Ordinal);
        Assert.Contains("8-30 Hz band-pass", detail, StringComparison.Ordinal);

        // Just above: converted and decoded.
        context.Swapper.Bind(new StreamDescription(new SignalInfo(64, channels), "test", "S002"), "S002", context.Models.Current, context.Consumer);
        Assert.NotNull(context.Swapper.FrontEnd);
    }

    [Fact]
    public void ThePipelinesHighestBandEdgeIsItsBandPassOrFilterBanksUpperEdge()
    {
        var logvar = SignalPipeline.Create(TestModels.MiLogVar);
        Assert.Equal(30, logvar.HighestBandEdgeHz);
        var e = Assert.Throws<UnsupportedSampleRateException>(() => logvar.CheckSourceRate(60));
        Assert.Equal(60, e.InputRateHz);
        logvar.CheckSourceRate(61);
        Assert.Throws<UnsupportedSampleRateException>(() => logvar.CheckSourceRate(100 * Math.PI));
        var bank = SignalPipeline.Create(Pipelines.Definitions.PipelineDefinitionLoader.Load(Path.Combine(EegDann.TestSupport.TestData.PipelinesDirectory, "mi-fb-dann.json")));
        Assert.Equal(bank.Definition.FilterBank!.Bands.Max(b => b.HighHz), bank.HighestBandEdgeHz);
        Assert.Contains("filter-bank band", Assert.Throws<UnsupportedSampleRateException>(() => bank.CheckSourceRate(2 * bank.HighestBandEdgeHz)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoSwapWhileTheModelIsCurrentAndASwapThatCannotPrimeAsksForARestart()
    {
        using var context = new SwapperContext();
        context.BindAndPush(2000);
        Assert.Equal(SwapOutcome.None, context.Swapper.SwapIfNeeded(canPrime: true));
        var next = DecoderModelLoader.Load(TestModels.S003ToS002);
        Assert.Null(context.Models.TrySwap(next, "test"));
        Assert.Equal(SwapOutcome.NeedsRestart, context.Swapper.SwapIfNeeded(canPrime: false));
        Assert.Same(next, context.Swapper.Model);
        Assert.Equal(SwapOutcome.None, context.Swapper.SwapIfNeeded(canPrime: true));
    }

    [Fact]
    public void ASwapPrimesTheNewFrontEndWithTheRecentRawSignalAndItsWindowsMeanwhileAreMarkedPriming()
    {
        using var context = new SwapperContext();
        context.BindAndPush(2000);
        int before = context.Consumer.Seen.Count;
        Assert.All(context.Consumer.Seen, w => Assert.False(w.Priming));
        var next = DecoderModelLoader.Load(TestModels.S003ToS002);
        Assert.Null(context.Models.TrySwap(next, "test"));
        Assert.Equal(SwapOutcome.Primed, context.Swapper.SwapIfNeeded(canPrime: true));
        Assert.False(context.Swapper.Priming);
        Assert.Same(next, context.Swapper.Model);
        var primed = context.Consumer.Seen.Skip(before).ToList();
        Assert.NotEmpty(primed);
        Assert.All(primed, w => Assert.True(w.Priming));

        // Primed up to where the stream is: the next chunk continues it, no restart.
        Assert.Equal(2000, context.Swapper.FrontEnd!.NextOutputIndex);
        Assert.Equal(2000, context.Swapper.Raw!.EndIndex);
        // From the window length + 1 s settle before the stream's end (source 1519): windows ending 1840..2000.
        Assert.Equal(Enumerable.Range(0, 17).Select(k => 1840L + (k * 10)), primed.Select(w => w.End));
    }

    private sealed class SwapperContext : IDisposable
    {
        public SwapperContext()
        {
            Models = new ActiveModel(new DaemonMetrics(), NullLogger<ActiveModel>.Instance);
            Models.Initialize(DecoderModelLoader.Load(TestModels.S001ToS002), AlignmentMode.Auto);
            Swapper = new ModelSwapper(Models, new FailSafeOptions(), new DecoderOptions(), NullLogger.Instance);
            Consumer = new Collector(Swapper);
        }

        public ActiveModel Models { get; }

        public ModelSwapper Swapper { get; }

        public Collector Consumer { get; }

        /// <summary>Binds the current model to S002R04 and pushes its first <paramref name="samples"/> samples.</summary>
        public void BindAndPush(int samples)
        {
            var recording = TestModels.Read("S002", "R04");
            Swapper.Bind(new StreamDescription(recording.Info, "test", "S002"), "S002", Models.Current, Consumer);
            Swapper.Restart(0);
            var chunk = SampleChunk.FromChannelMajor(recording.Samples, 0, samples);
            Swapper.Push(chunk.Span, samples, 0);
        }

        public void Dispose() => Models.Dispose();
    }

    private sealed class Collector(ModelSwapper swapper) : IOnlineWindowConsumer
    {
        public List<(long End, bool Priming)> Seen { get; } = [];

        public void OnWindow(in OnlineWindow window) => Seen.Add((window.EndSample, swapper.Priming));
    }
}
