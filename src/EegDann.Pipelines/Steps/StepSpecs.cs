using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Spatial;
using EegDann.Dsp.Streaming;

namespace EegDann.Pipelines.Steps;

/// <summary>What part of the pipeline a step belongs to; steps must appear in this order.</summary>
public enum StepKind
{
    /// <summary>Sample by sample on the stream (filters, re-referencing): before windowing.</summary>
    Signal = 0,

    /// <summary>Spatial alignment of each window (Euclidean alignment): after windowing, before features.</summary>
    Alignment = 1,

    /// <summary>Features of each window, concatenated in step order.</summary>
    Feature = 2,

    /// <summary>Standardisation of the concatenated features.</summary>
    Standardize = 3,
}

/// <summary>One validated step of a pipeline: its type name, kind and parameters (options only, never fitted values).</summary>
public abstract record StepSpec(string Type)
{
    /// <summary>What part of the pipeline the step belongs to.</summary>
    public abstract StepKind Kind { get; }

    /// <summary>The problems of the step's parameters for a pipeline of this shape (channels, epoch length, rate); empty when they are fine.</summary>
    public virtual IReadOnlyList<StepProblem> Validate(FeatureShape shape) => [];

    /// <summary>The upper edges of the bands the step passes, Hz, each with a phrase naming it (none for steps that pass no band).</summary>
    public virtual IEnumerable<(double Hz, string Edge)> PassbandEdges => [];
}

/// <summary>A streaming sample stage.</summary>
public abstract record SignalStepSpec(string Type) : StepSpec(Type)
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Signal;

    /// <summary>The filter coefficients at <paramref name="sampleRateHz"/>, or null for a stage without a design (re-referencing).</summary>
    public abstract SosDesign? Design(double sampleRateHz);

    /// <summary>Builds the stage for <paramref name="channels"/> channels, using <paramref name="design"/> (from <see cref="Design"/> or a model file) when it has one.</summary>
    public abstract ISampleStage Create(int channels, SosDesign? design);

    /// <inheritdoc />
    /// <remarks>A filter must be designable at the pipeline's rate.</remarks>
    public override IReadOnlyList<StepProblem> Validate(FeatureShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        try
        {
            Design(shape.SampleRateHz);
            return [];
        }
        catch (ArgumentException e)
        {
            return [new StepProblem(null, e.Message)];
        }
    }
}

/// <summary><c>bandpass</c>: causal Butterworth band-pass.</summary>
public sealed record BandPassSpec(double LowHz, double HighHz, int Order) : SignalStepSpec("bandpass")
{
    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.BandPass(LowHz, HighHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(HighHz, $"upper edge of the {LowHz}-{HighHz} Hz band-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>highpass</c>: causal Butterworth high-pass.</summary>
public sealed record HighPassSpec(double CutoffHz, int Order) : SignalStepSpec("highpass")
{
    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.HighPass(CutoffHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(CutoffHz, $"cut-off of the {CutoffHz} Hz high-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>lowpass</c>: causal Butterworth low-pass.</summary>
public sealed record LowPassSpec(double CutoffHz, int Order) : SignalStepSpec("lowpass")
{
    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.LowPass(CutoffHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(CutoffHz, $"cut-off of the {CutoffHz} Hz low-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>notch</c>: causal Butterworth band-stop with its null on the mains frequency.</summary>
public sealed record NotchSpec(double FrequencyHz, double WidthHz, int Order) : SignalStepSpec("notch")
{
    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.Notch(FrequencyHz, WidthHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>common_average_reference</c>.</summary>
public sealed record CommonAverageReferenceSpec() : SignalStepSpec("common_average_reference")
{
    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => null;

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new CommonAverageReference(channels);

    /// <inheritdoc />
    public override IReadOnlyList<StepProblem> Validate(FeatureShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Channels.Count < 2 ? [new StepProblem(null, "needs at least 2 channels")] : [];
    }
}

/// <summary>
/// <c>filter_bank</c>: the last signal step, splitting the stream into frequency bands, each a
/// causal Butterworth band-pass of the same order. Every later step (alignment, features) runs on
/// each band separately, and features are named per band (<c>fb8_12_logvar_C3</c>).
/// </summary>
/// <param name="Bands">The bands, Hz, in order (at least two).</param>
/// <param name="Order">Butterworth order of each band-pass.</param>
public sealed record FilterBankSpec(IReadOnlyList<FrequencyBand> Bands, int Order) : StepSpec("filter_bank")
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Signal;

    /// <summary>Each band's tag in names (e.g. <c>8_12</c>), in band order.</summary>
    public IReadOnlyList<string> Tags => Bands.Select(b => b.Tag).ToArray();

    /// <summary>Each band's filter at <paramref name="sampleRateHz"/>, in band order.</summary>
    public IReadOnlyList<SosDesign> Designs(double sampleRateHz) => Bands.Select(b => Butterworth.BandPass(b.LowHz, b.HighHz, Order, sampleRateHz)).ToArray();

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => Bands.Select(b => (b.HighHz, $"upper edge of the {b.LowHz}-{b.HighHz} Hz filter-bank band"));

    /// <inheritdoc />
    /// <remarks>At least two bands, none empty or repeated, every band-pass designable at the pipeline's rate.</remarks>
    public override IReadOnlyList<StepProblem> Validate(FeatureShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var problems = new List<StepProblem>();
        if (Bands.Count < 2)
        {
            problems.Add(new(null, "needs at least two bands (use bandpass for one)"));
        }

        problems.AddRange(Bands.Where(b => !(b.HighHz > b.LowHz)).Select(b => new StepProblem(null, $"band [{b.LowHz}, {b.HighHz}] Hz is empty")));
        problems.AddRange(Bands.GroupBy(b => b.Tag).Where(g => g.Count() > 1).Select(g => new StepProblem(null, $"band {g.Key.Replace('_', '-')} Hz appears more than once")));
        try
        {
            if (Bands.All(b => b.HighHz > b.LowHz))
            {
                Designs(shape.SampleRateHz);
            }
        }
        catch (ArgumentException e)
        {
            problems.Add(new(null, e.Message));
        }

        return problems;
    }

    /// <inheritdoc />
    public bool Equals(FilterBankSpec? other) => other is not null && Order == other.Order && Bands.SequenceEqual(other.Bands);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Order, Bands.Count);
}

/// <summary>Which windows estimate a subject's alignment reference in batch work.</summary>
public enum AlignmentReference
{
    /// <summary>The paradigm's cue-locked epochs (labels unused), as He &amp; Wu: the default.</summary>
    Epochs,

    /// <summary>The sliding windows over the whole recording (what the live stream sees).</summary>
    Windows,
}

/// <summary><c>euclidean_alignment</c>.</summary>
public sealed record EuclideanAlignmentSpec(EuclideanAlignmentOptions Options, AlignmentReference Reference) : StepSpec("euclidean_alignment")
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Alignment;
}

/// <summary><c>standardize</c>: z-score of every feature, fitted on the source's features.</summary>
public sealed record StandardizeSpec() : StepSpec("standardize")
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Standardize;
}
