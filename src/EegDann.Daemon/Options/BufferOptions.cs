using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Options;

/// <summary>
/// Section <c>Daemon:Buffers</c>: capacities of the bounded channels between the stages. When a
/// channel is full, a live (paced) source's chunk is dropped and counted (the stages then see a
/// gap and fail safe); an unpaced replay waits instead (back-pressure).
/// </summary>
public sealed class BufferOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Daemon:Buffers";

    /// <summary>Chunks between acquisition and the filter/window stage.</summary>
    [Range(1, 1 << 20)]
    public int AcquisitionChunks { get; set; } = 256;

    /// <summary>Windows between the filter/window stage and the decoder.</summary>
    [Range(1, 1 << 20)]
    public int Windows { get; set; } = 64;

    /// <summary>Decisions between the decoder and the control output.</summary>
    [Range(1, 1 << 20)]
    public int Decisions { get; set; } = 64;

    /// <summary>Chunks waiting for the session recorder (it writes a row group every few seconds).</summary>
    [Range(1, 1 << 20)]
    public int RecorderChunks { get; set; } = 8192;

    /// <summary>Chunks waiting for the online calibrator.</summary>
    [Range(1, 1 << 20)]
    public int CalibratorChunks { get; set; } = 8192;

    /// <summary>
    /// Megabytes of samples waiting for the session recorder, at most (default 64: 27 minutes of
    /// 64 channels at 160 Hz). Beyond it a live source's chunk is not recorded and is reported lost
    /// (metric, log, health degraded), as when <see cref="RecorderChunks"/> is reached; an unpaced
    /// replay waits. A count of chunks alone bounds no memory: a TCP chunk may be 4096 samples of
    /// 1024 channels (16 MB).
    /// </summary>
    [Range(1, 1 << 16)]
    public int RecorderMegabytes { get; set; } = 64;

    /// <summary>Megabytes of samples waiting for the online calibrator, at most (as <see cref="RecorderMegabytes"/>; a chunk beyond it is dropped and counted).</summary>
    [Range(1, 1 << 16)]
    public int CalibratorMegabytes { get; set; } = 64;
}

/// <summary>Validates <see cref="BufferOptions"/> (source-generated).</summary>
[OptionsValidator]
public sealed partial class BufferOptionsValidator : IValidateOptions<BufferOptions>;
