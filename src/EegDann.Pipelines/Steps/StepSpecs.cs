using System.Text.Json.Nodes;
using EegDann.Core;
using EegDann.Dsp.Alignment;
using EegDann.Dsp.Features;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Spatial;
using EegDann.Dsp.Streaming;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary>What part of the pipeline a step belongs to; steps must appear in this order.</summary>
public enum StepKind
{
    /// <summary>Sample by sample on the stream (filters, re-referencing): before windowing.</summary>
    Signal = 0,

    /// <summary>Splits the stream into frequency bands (the filter bank): after the other signal steps, before windowing.</summary>
    FilterBank = 1,

    /// <summary>Spatial alignment of each window (Euclidean alignment): after windowing, before features.</summary>
    Alignment = 2,

    /// <summary>Features of each window, concatenated in step order.</summary>
    Feature = 3,

    /// <summary>Standardisation of the concatenated features.</summary>
    Standardize = 4,
}

/// <summary>Names of the step kinds in pipeline errors.</summary>
public static class StepKinds
{
    /// <summary>The order steps must follow, as pipeline errors state it.</summary>
    public const string Order = "signal steps, filter_bank, euclidean_alignment, feature steps, standardize";

    /// <summary>A kind as pipeline errors name it (<c>signal</c>, <c>filter_bank</c>, <c>alignment</c>, <c>feature</c>, <c>standardize</c>).</summary>
    public static string Describe(this StepKind kind) => kind == StepKind.FilterBank ? "filter_bank" : kind.ToString().ToLowerInvariant();
}

/// <summary>One validated step of a pipeline: its type name, kind and parameters (options only, never fitted values).</summary>
public abstract record StepSpec(string Type)
{
    /// <summary>What part of the pipeline the step belongs to.</summary>
    public abstract StepKind Kind { get; }

    /// <summary>Whether a pipeline may hold at most one step of this type (the filter bank, alignment, standardisation).</summary>
    public virtual bool AtMostOne => false;

    /// <summary>The problems of the step's parameters for a pipeline of this shape (channels, epoch length, rate); empty when they are fine.</summary>
    public virtual IReadOnlyList<StepProblem> Validate(FeatureShape shape) => [];

    /// <summary>The upper edges of the bands the step passes, Hz, each with a phrase naming it (none for steps that pass no band).</summary>
    public virtual IEnumerable<(double Hz, string Edge)> PassbandEdges => [];

    /// <summary>The step's <c>parameters</c> object as a pipeline file writes it: every key the step reads, in the order of its <see cref="StepTypeInfo.ParameterKeys"/>.</summary>
    public abstract JsonObject ParametersToJson();

    /// <summary>The step as a pipeline file writes it: <c>{"type": …, "parameters": {…}}</c>; read back by the registry it gives an equal step.</summary>
    public JsonObject ToJson() => new() { ["type"] = Type, ["parameters"] = ParametersToJson() };

    /// <summary>Bands as pipeline files write them: <c>[[lo, hi], …]</c>, Hz.</summary>
    private protected static JsonArray BandsToJson(IEnumerable<FrequencyBand> bands) =>
        new(bands.Select(b => (JsonNode)new JsonArray(b.LowHz, b.HighHz)).ToArray());
}

/// <summary>A streaming sample stage (a filter or re-referencing), fitted into a <see cref="FittedFilter"/>.</summary>
public abstract record SignalStepSpec(string Type) : StepSpec(Type), ISignalStep
{
    /// <inheritdoc />
    public override StepKind Kind => StepKind.Signal;

    /// <summary>The filter coefficients at <paramref name="sampleRateHz"/>, or null for a stage without a design (re-referencing).</summary>
    public abstract SosDesign? Design(double sampleRateHz);

    /// <summary>Builds the stage for <paramref name="channels"/> channels, using <paramref name="design"/> (from <see cref="Design"/> or a model file) when it has one.</summary>
    public abstract ISampleStage Create(int channels, SosDesign? design);

    /// <inheritdoc />
    /// <remarks>None: a filter or re-referencing step keeps one band.</remarks>
    public IReadOnlyList<FrequencyBand> SplitBands => [];

    /// <inheritdoc />
    public FittedSignalStep Fit(double sampleRateHz) => new FittedFilter(Design(sampleRateHz));

    /// <inheritdoc />
    public void AddTo(SignalPathBuilder path, FittedSignalStep fitted)
    {
        ArgumentNullException.ThrowIfNull(path);
        var filter = fitted as FittedFilter ?? throw new ArgumentException($"step '{Type}' cannot run with the fitted state of another kind of step ({fitted?.GetType().Name}).", nameof(fitted));
        path.Add(Create(path.Channels, filter.Design));
    }

    /// <inheritdoc />
    /// <remarks>A step with a design needs one at the pipeline's rate; a step without one (re-referencing) needs none.</remarks>
    public IReadOnlyList<StepProblem> Check(FittedSignalStep fitted, double sampleRateHz)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        if (fitted is not FittedFilter filter)
        {
            return [new StepProblem(null, $"cannot run with the fitted state of another kind of step ({fitted.GetType().Name})")];
        }

        bool needs = Design(sampleRateHz) != null;
        return needs != (filter.Design != null) || (filter.Design != null && filter.Design.SampleRateHz != sampleRateHz)
            ? [new StepProblem(null, needs ? $"needs a filter design at the pipeline's {sampleRateHz} Hz, the fitted state has {(filter.Design is null ? "none" : $"one at {filter.Design.SampleRateHz} Hz")}" : "has no filter design, the fitted state has one")]
            : [];
    }

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
public sealed record BandPassSpec(double LowHz, double HighHz, int Order) : SignalStepSpec(BandPassSpec.Info.Name), IStepType<BandPassSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("bandpass", "causal Butterworth band-pass (second-order sections)", ["low_hz", "high_hz", "order"]);

    /// <inheritdoc />
    public static BandPassSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.Number("low_hz", min: 0, minExclusive: true), parameters.Number("high_hz", min: 0, minExclusive: true), parameters.Integer("order", 4, 1, 12));
    }

    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.BandPass(LowHz, HighHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["low_hz"] = LowHz, ["high_hz"] = HighHz, ["order"] = Order };

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(HighHz, $"upper edge of the {LowHz}-{HighHz} Hz band-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>highpass</c>: causal Butterworth high-pass.</summary>
public sealed record HighPassSpec(double CutoffHz, int Order) : SignalStepSpec(HighPassSpec.Info.Name), IStepType<HighPassSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("highpass", "causal Butterworth high-pass", ["cutoff_hz", "order"]);

    /// <inheritdoc />
    public static HighPassSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.Number("cutoff_hz", min: 0, minExclusive: true), parameters.Integer("order", 4, 1, 12));
    }

    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.HighPass(CutoffHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["cutoff_hz"] = CutoffHz, ["order"] = Order };

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(CutoffHz, $"cut-off of the {CutoffHz} Hz high-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>lowpass</c>: causal Butterworth low-pass.</summary>
public sealed record LowPassSpec(double CutoffHz, int Order) : SignalStepSpec(LowPassSpec.Info.Name), IStepType<LowPassSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("lowpass", "causal Butterworth low-pass", ["cutoff_hz", "order"]);

    /// <inheritdoc />
    public static LowPassSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.Number("cutoff_hz", min: 0, minExclusive: true), parameters.Integer("order", 4, 1, 12));
    }

    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.LowPass(CutoffHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["cutoff_hz"] = CutoffHz, ["order"] = Order };

    /// <inheritdoc />
    public override IEnumerable<(double Hz, string Edge)> PassbandEdges => [(CutoffHz, $"cut-off of the {CutoffHz} Hz low-pass")];

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>notch</c>: causal Butterworth band-stop with its null on the mains frequency.</summary>
public sealed record NotchSpec(double FrequencyHz, double WidthHz, int Order) : SignalStepSpec(NotchSpec.Info.Name), IStepType<NotchSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("notch", "causal Butterworth band-stop centred on the mains frequency", ["frequency_hz", "width_hz", "order"]);

    /// <inheritdoc />
    public static NotchSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.Number("frequency_hz", min: 0, minExclusive: true), parameters.Number("width_hz", 4.0, min: 0, minExclusive: true), parameters.Integer("order", 2, 1, 12));
    }

    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => Butterworth.Notch(FrequencyHz, WidthHz, Order, sampleRateHz);

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["frequency_hz"] = FrequencyHz, ["width_hz"] = WidthHz, ["order"] = Order };

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new SosFilter(design!, channels);
}

/// <summary><c>common_average_reference</c>.</summary>
public sealed record CommonAverageReferenceSpec() : SignalStepSpec(CommonAverageReferenceSpec.Info.Name), IStepType<CommonAverageReferenceSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("common_average_reference", "subtract the mean of all pipeline channels at every sample", []);

    /// <inheritdoc />
    public static CommonAverageReferenceSpec Parse(JsonSection parameters)
    {
        return new();
    }

    /// <inheritdoc />
    public override SosDesign? Design(double sampleRateHz) => null;

    /// <inheritdoc />
    public override ISampleStage Create(int channels, SosDesign? design) => new CommonAverageReference(channels);

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => [];

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
public sealed record FilterBankSpec(IReadOnlyList<FrequencyBand> Bands, int Order) : StepSpec(FilterBankSpec.Info.Name), IStepType<FilterBankSpec>, ISignalStep
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("filter_bank", "causal Butterworth band-passes side by side; later steps run on every band (last signal step)", ["bands", "order"]);

    /// <inheritdoc />
    public static FilterBankSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.PairList("bands").Select(b => new FrequencyBand(b.Low, b.High)).ToArray(), parameters.Integer("order", 4, 1, 12));
    }

    /// <inheritdoc />
    /// <remarks>Its own kind: the last step before windowing, so every later step sees every band.</remarks>
    public override StepKind Kind => StepKind.FilterBank;

    /// <inheritdoc />
    public override bool AtMostOne => true;

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["bands"] = BandsToJson(Bands), ["order"] = Order };

    /// <inheritdoc />
    public IReadOnlyList<FrequencyBand> SplitBands => Bands;

    /// <summary>Each band's filter at <paramref name="sampleRateHz"/>, in band order.</summary>
    public IReadOnlyList<SosDesign> Designs(double sampleRateHz) => Bands.Select(b => Butterworth.BandPass(b.LowHz, b.HighHz, Order, sampleRateHz)).ToArray();

    /// <inheritdoc />
    public FittedSignalStep Fit(double sampleRateHz) => new FittedFilterBank(Designs(sampleRateHz));

    /// <inheritdoc />
    /// <remarks>One design per band, each at the pipeline's rate.</remarks>
    public IReadOnlyList<StepProblem> Check(FittedSignalStep fitted, double sampleRateHz)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        if (fitted is not FittedFilterBank bank)
        {
            return [new StepProblem(null, $"cannot run with the fitted state of another kind of step ({fitted.GetType().Name})")];
        }

        int atRate = bank.Designs.Count(d => d is not null && d.SampleRateHz == sampleRateHz);
        return bank.Designs.Count != Bands.Count || atRate != Bands.Count
            ? [new StepProblem(null, $"has {Bands.Count} bands, the fitted state {bank.Designs.Count} designs ({atRate} at the pipeline's {sampleRateHz} Hz)")]
            : [];
    }

    /// <inheritdoc />
    public void AddTo(SignalPathBuilder path, FittedSignalStep fitted)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bank = fitted as FittedFilterBank ?? throw new ArgumentException($"step '{Type}' cannot run with the fitted state of another kind of step ({fitted?.GetType().Name}).", nameof(fitted));
        path.Split(new FilterBank(bank.Designs, path.Channels, path.BlockSamples));
    }

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
