using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EegDann.Daemon.Decoding;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Daemon.Output;
using Microsoft.Extensions.Logging.Abstractions;

namespace EegDann.Daemon.Tests;

/// <summary>The control output alone: a stop racing the sender is the last message, and sending allocates nothing.</summary>
public sealed class ControlOutputTests
{
    private static readonly string[] Classes = ["left", "right"];

    private static Decision Right(int k) => new("right", Classes, [0.2f, 0.8f], k * 62.5, 0, "m", FailSafeReason.None, MeasuresLatency: false);

    [Fact]
    public void AStopFromAnotherThreadWhileDecisionsAreSentIsTheLastMessageAndNoNumberIsSkipped()
    {
        for (int round = 0; round < 20; round++)
        {
            using var stdout = new MemoryStream();
            using var output = new ControlOutput(new ControlOutputOptions { Udp = null, Stdout = true }, new DaemonMetrics(), NullLogger<ControlOutput>.Instance, stdout);
            using var started = new ManualResetEventSlim();
            var sender = new Thread(() =>
            {
                for (int k = 0; k < 20_000; k++)
                {
                    output.Send(Right(k));
                    if (k == 100)
                    {
                        started.Set();
                    }
                }
            });
            sender.Start();
            started.Wait();
            output.SendStop();
            sender.Join();
            output.SendStop();

            var lines = Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(Enumerable.Range(1, lines.Count).Select(i => (long)i), lines.Select(l => l.GetProperty("seq").GetInt64()));
            var last = lines[^1];
            Assert.Equal("none", last.GetProperty("command").GetString());
            Assert.Equal("stopped", last.GetProperty("reason").GetString());
            Assert.Single(lines, l => l.TryGetProperty("reason", out _));
            Assert.True(lines.Count > 100, $"round {round}: {lines.Count} messages");
        }
    }

    [Fact]
    public void SendingADecisionAllocatesNothingOnceWarm()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var output = new ControlOutput(new ControlOutputOptions { Udp = receiver.Client.LocalEndPoint!.ToString() }, new DaemonMetrics(), NullLogger<ControlOutput>.Instance);
        var decisions = Enumerable.Range(0, 300).Select(Right).ToArray();
        var allocatedPerPass = Allocations.PerPass(_ =>
        {
            foreach (var decision in decisions)
            {
                output.Send(decision);
            }
        });

        Assert.Equal(300L * (allocatedPerPass.Count + 1), output.Sent);
        Assert.True(allocatedPerPass[^1] == 0, $"bytes allocated per pass of 300 decisions: {string.Join(", ", allocatedPerPass)}");
    }
}
