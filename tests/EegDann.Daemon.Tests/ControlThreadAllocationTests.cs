using EegDann.Daemon.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>The whole control path of a running daemon — hand-off, window stage, decoder, output and the channels between them — allocates nothing in steady state.</summary>
public sealed class ControlThreadAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task APacedStreamAllocatesNothingOnTheControlPathOnceItRunsAndSkipsTheHandOff()
    {
        // S002R04 paced at 20× real time: the control thread waits for each chunk, as live. The bytes it allocated
        // are read at 600 and at 1600 windows; between them, about 1000 windows and their chunks.
        var settings = DaemonRunner.Replay(TestModels.RecordingPath("S002", "R04"), TestModels.S001ToS002);
        settings["Daemon:Replay:Speed"] = "20";
        long atStart = -1, atEnd = -1, windowsAtStart = 0, windowsAtEnd = 0, inlineAtStart = 0, inlineAtEnd = 0, chunksAtStart = 0, chunksAtEnd = 0;
        using var run = await DaemonRunner.RunAsync(settings, whileRunning: async host =>
        {
            var metrics = host.Services.GetRequiredService<DaemonMetrics>();
            await Eventually.WaitAsync(() => metrics.Windows >= 600, "600 windows");
            (atStart, windowsAtStart, inlineAtStart, chunksAtStart) = (metrics.ControlThreadAllocatedBytes, metrics.Windows, metrics.InlineChunks, metrics.Chunks);
            await Eventually.WaitAsync(() => metrics.Windows >= 1600, "1600 windows");
            (atEnd, windowsAtEnd, inlineAtEnd, chunksAtEnd) = (metrics.ControlThreadAllocatedBytes, metrics.Windows, metrics.InlineChunks, metrics.Chunks);
        });

        run.AssertExit(DaemonExitCode.Success);
        output.WriteLine($"control thread: {atStart} bytes at {windowsAtStart} windows, {atEnd} at {windowsAtEnd}");
        Assert.True(atStart > 0, "the control thread reports what it allocated");
        // Less than one byte per window: anything allocated per chunk or per window (24 bytes at the least) fails;
        // what the runtime allocates now and then on this thread (a method tiered up, a continuation queued when a
        // chunk arrives just as the wait is registered: 0-200 bytes per thousand windows here) does not.
        long windows = windowsAtEnd - windowsAtStart;
        Assert.True(atEnd - atStart < windows, $"the control thread allocated {atEnd - atStart} bytes over {windows} windows ({(atEnd - atStart) / (double)windows:F1} per window)");

        // A paced (live) stream's chunks find the path idle and go through it on the acquisition thread, with no
        // hand-off: all of them but the odd one that arrives while the control thread runs a heartbeat.
        long chunks = chunksAtEnd - chunksAtStart, inline = inlineAtEnd - inlineAtStart;
        output.WriteLine($"{inline} of {chunks} chunks run on the acquisition thread");
        Assert.True(inline >= 0.95 * chunks, $"{inline} of {chunks} chunks run on the acquisition thread");
    }
}
