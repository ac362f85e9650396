using System.Diagnostics;
using EegDann.Core;
using EegDann.Lsl;

namespace EegDann.FakeLslOutlet;

/// <summary>
/// Pushes a recording through a fake outlet as an amplifier would: chunks of samples in real time
/// × speed, each sample stamped <c>start + index / rate</c> on the outlet's clock (first of a
/// chunk transmitted, the rest deduced, as liblsl's <c>push_chunk</c> does), and the recording's
/// events as string samples on a marker outlet, stamped at their sample.
/// </summary>
public static class RecordingStreamer
{
    /// <summary>Settings for the EEG outlet that serves <paramref name="recording"/>.</summary>
    public static FakeOutletSettings EegSettings(Recording recording, string name, int queryPort = 0, int basePort = 0) => new()
    {
        Name = name,
        Type = "EEG",
        ChannelCount = recording.Info.ChannelCount,
        Format = LslChannelFormat.Float32,
        NominalSrate = recording.Info.SampleRateHz,
        SourceId = name + "_src",
        ChannelLabels = recording.Info.Channels,
        QueryPort = queryPort,
        BasePort = basePort,
    };

    /// <summary>Settings for the marker outlet that serves the events.</summary>
    public static FakeOutletSettings MarkerSettings(string name, int queryPort = 0, int basePort = 0) => new()
    {
        Name = name,
        Type = "Markers",
        ChannelCount = 1,
        Format = LslChannelFormat.String,
        NominalSrate = 0,
        SourceId = name + "_src",
        QueryPort = queryPort,
        BasePort = basePort,
    };

    /// <summary>Streams the recording once (or until cancelled); returns the time stamp of sample 0.</summary>
    /// <param name="recording">What to stream.</param>
    /// <param name="eeg">The EEG outlet.</param>
    /// <param name="markers">The marker outlet, or null.</param>
    /// <param name="speed">Multiple of real time (&gt; 0).</param>
    /// <param name="chunkSamples">Samples per push.</param>
    /// <param name="cancellationToken">Stops streaming.</param>
    public static async Task<double> StreamAsync(Recording recording, FakeOutlet eeg, FakeOutlet? markers, double speed, int chunkSamples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(eeg);
        double rate = recording.Info.SampleRateHz;
        int channels = recording.Info.ChannelCount;
        double start = LslClock.Now();
        long clockStart = Stopwatch.GetTimestamp();
        var events = recording.Events.OrderBy(e => e.Sample).ToList();
        int nextEvent = 0;
        for (int first = 0; first < recording.SampleCount; first += chunkSamples)
        {
            int count = Math.Min(chunkSamples, recording.SampleCount - first);
            double due = (first + count) / rate / speed;
            double wait = due - Stopwatch.GetElapsedTime(clockStart).TotalSeconds;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken);
            }

            while (markers != null && nextEvent < events.Count && events[nextEvent].Sample < first + count)
            {
                markers.PushStrings([events[nextEvent].Label], start + (events[nextEvent].Sample / rate));
                nextEvent++;
            }

            for (int s = 0; s < count; s++)
            {
                var values = new double[channels];
                for (int c = 0; c < channels; c++)
                {
                    values[c] = recording.Samples[c][first + s];
                }

                eeg.Push(values, s == 0 ? start + ((first + s) / rate) : null);
            }
        }

        return start;
    }
}
