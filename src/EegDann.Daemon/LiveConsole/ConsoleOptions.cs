using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// Section <c>Daemon:Console</c>: the live console page served at <c>http://ENDPOINT/</c> on the
/// metrics endpoint (<see cref="Options.MetricsOptions.Prometheus"/>, same loopback rule).
/// </summary>
public sealed class ConsoleOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Console";

    /// <summary>Serve the console on the metrics endpoint (it is only served when that endpoint is on).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Show the "calibrate now" button and accept <c>POST /calibrate</c>; off: the page is read-only and the endpoint answers 403.</summary>
    public bool AllowControl { get; set; }

    /// <summary>The channels plotted when <see cref="Channels"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultChannels { get; } = ["C3", "Cz", "C4"];

    /// <summary>The channels whose filtered signal the page plots (those the stream has); empty: <see cref="DefaultChannels"/>.</summary>
    /// <remarks>Empty by default rather than pre-filled: the configuration binder appends to a list it finds filled.</remarks>
    public List<string> Channels { get; set; } = [];

    /// <summary>Updates pushed to each browser per second (at most 20).</summary>
    [Range(0.5, 20.0)]
    public double UpdatesPerSecond { get; set; } = 10.0;

    /// <summary>Updates queued per browser; when a browser is slower, the oldest queued update is dropped.</summary>
    [Range(1, 64)]
    public int ClientQueue { get; set; } = 2;

    /// <summary>Browsers served at once; more are refused with 503.</summary>
    [Range(1, 64)]
    public int MaxClients { get; set; } = 8;

    /// <summary>A browser whose socket accepts nothing for this long is disconnected, seconds.</summary>
    [Range(1.0, 3600.0)]
    public double StalledClientSeconds { get; set; } = 30.0;

    /// <summary>A channel is noisy when its 50/60 Hz power is more than this share of its variance.</summary>
    [Range(0.01, 1.0)]
    public double LineNoiseShare { get; set; } = 0.5;

    /// <summary>A channel is noisy when its variance is this many times above or below its own running median (or the median over channels).</summary>
    [Range(1.5, 1000.0)]
    public double VarianceRatio { get; set; } = 10.0;
}

/// <summary>Validates <see cref="ConsoleOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>;
