namespace EegDann.Recordings.Parquet;

/// <summary>Which exceptions from the Parquet library mean "this file is damaged" rather than a bug or a cancellation.</summary>
internal static class CorruptData
{
    /// <summary>
    /// True for anything a reader of untrusted bytes may throw (Parquet.Net's Thrift and Parquet
    /// exceptions, I/O, index and format errors); false for cancellation, out-of-memory and our own
    /// already-explained errors.
    /// </summary>
    public static bool Is(Exception e) =>
        e is not (OperationCanceledException or OutOfMemoryException or RecordingFormatException or StackOverflowException);
}
