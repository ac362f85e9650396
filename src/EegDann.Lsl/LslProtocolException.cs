namespace EegDann.Lsl;

/// <summary>
/// The outlet said or sent something this inlet cannot use: a refused request, an unsupported
/// protocol version, a corrupt sample. The message names the stream and what to do.
/// </summary>
public class LslProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LslProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public LslProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no message (prefer the other constructors).</summary>
    public LslProtocolException()
    {
    }
}

/// <summary>
/// The stream is gone from where it was (the outlet answered 404 for its UID, or closed the
/// connection): re-resolve it, by <c>source_id</c> when it has one.
/// </summary>
public sealed class LslStreamLostException : LslProtocolException
{
    /// <summary>Creates the exception.</summary>
    public LslStreamLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public LslStreamLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no message (prefer the other constructors).</summary>
    public LslStreamLostException()
    {
    }
}
