namespace EegDann.Daemon.Options;

/// <summary>
/// A setting the daemon cannot start with, found when a stage opens (after the options were validated):
/// the message names the setting key, e.g. <c>Daemon:Acquisition:Source</c>. The daemon exits with code 2.
/// </summary>
public sealed class DaemonSettingsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="key">The setting key, e.g. <c>Daemon:Replay:Path</c>.</param>
    /// <param name="problem">What is wrong and how to fix it; the message is "key problem".</param>
    public DaemonSettingsException(string key, string problem)
        : base($"{key} {problem}")
    {
        Key = key;
    }

    /// <summary>Creates the exception for a setting whose value could not be used because of <paramref name="inner"/> (a file that cannot be read).</summary>
    /// <param name="key">The setting key, e.g. <c>Daemon:Replay:Path</c>.</param>
    /// <param name="problem">What is wrong; the message is "key problem".</param>
    /// <param name="inner">The error the value met.</param>
    public DaemonSettingsException(string key, string problem, Exception inner)
        : base($"{key} {problem}", inner)
    {
        Key = key;
    }

    /// <summary>The setting key, e.g. <c>Daemon:Replay:Path</c>.</summary>
    public string Key { get; }
}
