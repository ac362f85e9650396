namespace EegDann.Dsp.Resampling;

/// <summary>
/// Stream indices at a source's rate and at a pipeline's rate, one to the other: pipeline sample
/// m is the instant m / fs_pipeline, so source sample n lies at pipeline position
/// n · fs_pipeline / fs_source (what <see cref="PolyphaseResampler"/>'s centred output estimates).
/// The identity when the rates agree.
/// </summary>
public readonly record struct SampleRateMapping
{
    private readonly double _ratio;

    /// <summary>Maps <paramref name="sourceRateHz"/> to <paramref name="pipelineRateHz"/>.</summary>
    /// <param name="sourceRateHz">The source's rate, Hz, &gt; 0.</param>
    /// <param name="pipelineRateHz">The pipeline's rate, Hz, &gt; 0.</param>
    public SampleRateMapping(double sourceRateHz, double pipelineRateHz)
    {
        if (!(sourceRateHz > 0) || !(pipelineRateHz > 0) || !double.IsFinite(sourceRateHz) || !double.IsFinite(pipelineRateHz))
        {
            throw new ArgumentException($"sample rates must be positive numbers of Hz, got {sourceRateHz} → {pipelineRateHz}.");
        }

        SourceRateHz = sourceRateHz;
        PipelineRateHz = pipelineRateHz;
        _ratio = pipelineRateHz / sourceRateHz;
    }

    /// <summary>The source's rate, Hz.</summary>
    public double SourceRateHz { get; }

    /// <summary>The pipeline's rate, Hz.</summary>
    public double PipelineRateHz { get; }

    /// <summary>Whether the rates agree (every index maps to itself).</summary>
    public bool IsIdentity => _ratio == 1.0;

    /// <summary>The pipeline index at or before source index <paramref name="sourceIndex"/>: ⌊n · fs_pipeline / fs_source⌋.</summary>
    public long ToPipeline(long sourceIndex) => _ratio == 1.0 ? sourceIndex : (long)Math.Floor(sourceIndex * _ratio);

    /// <summary>The source index at or before pipeline index <paramref name="pipelineIndex"/>: ⌊m · fs_source / fs_pipeline⌋.</summary>
    public long ToSource(long pipelineIndex) => _ratio == 1.0 ? pipelineIndex : (long)Math.Floor(pipelineIndex / _ratio);

    /// <summary>Source samples that cover <paramref name="pipelineSamples"/> pipeline samples wherever they start: ⌈m · fs_source / fs_pipeline⌉ + 1.</summary>
    public int SourceSamples(int pipelineSamples) => (int)Math.Ceiling(pipelineSamples / _ratio) + 1;
}
