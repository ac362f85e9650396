namespace EegDann.Core;

/// <summary>
/// Where an epoch or a sliding window comes from and what it is: the metadata that travels with
/// its samples and its features (one row of an exported feature table).
/// </summary>
/// <param name="Subject">Subject identifier, e.g. <c>S001</c>.</param>
/// <param name="Recording">Recording name, e.g. <c>S001R04</c>.</param>
/// <param name="StartSample">
/// Index of the epoch's first sample in the recording's stream at the pipeline's sample rate
/// (equal to the recording's own index when no resampling happens).
/// </param>
/// <param name="Label">Class name (e.g. <c>left</c>) for cue-locked epochs; null for unlabeled windows.</param>
public sealed record EpochInfo(string Subject, string Recording, long StartSample, string? Label);
