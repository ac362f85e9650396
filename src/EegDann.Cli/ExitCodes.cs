namespace EegDann.Cli;

/// <summary>Process exit codes of <c>eegdann</c>.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;

    /// <summary>Some input was bad (a file, a setting); the message names it. Other inputs may have succeeded.</summary>
    public const int BadInput = 2;

    /// <summary>The work itself failed (e.g. training diverged); nothing was written.</summary>
    public const int Failed = 3;

    /// <summary>Stopped by SIGTERM or Ctrl-C before it finished; files are written atomically, so nothing partial is left.</summary>
    public const int Cancelled = 130;

    /// <summary>An unexpected fault: a bug. The log has the stack trace.</summary>
    public const int Internal = 70;
}
