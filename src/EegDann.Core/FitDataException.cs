namespace EegDann.Core;

/// <summary>
/// The data given to a fit cannot be fitted: too few classes or epochs, singular or degenerate
/// covariances (flat or linearly dependent channels). The message says what, for the person who
/// chose the recordings or the pipeline.
/// </summary>
/// <remarks>
/// An <see cref="ArgumentException"/> (the data is the argument), of its own type so that a use case
/// reports it as a problem with its input (exit 2) while any other <see cref="ArgumentException"/>
/// from the same call, a bug, still stops the program as one (exit 70, with its stack trace).
/// </remarks>
public sealed class FitDataException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public FitDataException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
