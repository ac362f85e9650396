using System.Text.Json;
using System.Text.Json.Serialization;
using EegDann.Dsp.Features;
using EegDann.Dsp.Filters;
using EegDann.Dsp.Streaming;

namespace EegDann.Pipelines.Steps;

/// <summary>
/// A step of the signal path, run sample by sample on the stream before windowing (a filter,
/// re-referencing, the filter bank): one class per step type owns its parameters (read by
/// <see cref="IStepType{TSelf}.Parse"/>), their validation, its fit at the pipeline's rate (the filter
/// designs) and the check of a fitted state read from a model file, so decoding runs exactly what
/// calibration ran.
/// </summary>
public interface ISignalStep
{
    /// <summary>The step type, e.g. <c>bandpass</c>.</summary>
    string Type { get; }

    /// <summary>
    /// The bands the step splits every channel into, in band order; empty for a step that does not split
    /// (every step but the filter bank). Every later step runs on each band, and names carry the band's
    /// <see cref="FrequencyBand.Tag"/>; a signal path splits at most once (<see cref="SignalPathBuilder.Split"/>).
    /// </summary>
    IReadOnlyList<FrequencyBand> SplitBands { get; }

    /// <summary>Fits the step at <paramref name="sampleRateHz"/>: designs its filters.</summary>
    /// <exception cref="ArgumentException">When a filter cannot be designed at that rate (the loader reports this before anything runs).</exception>
    FittedSignalStep Fit(double sampleRateHz);

    /// <summary>
    /// The problems of a fitted state for this step at <paramref name="sampleRateHz"/> (the state of
    /// another kind of step, a design missing or at another rate, a band count that differs); empty when it fits.
    /// </summary>
    IReadOnlyList<StepProblem> Check(FittedSignalStep fitted, double sampleRateHz);

    /// <summary>Adds the step's streaming stage, built from its fitted state, to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">When <paramref name="fitted"/> is the state of another kind of step (<see cref="Check"/> says so first).</exception>
    void AddTo(SignalPathBuilder path, FittedSignalStep fitted);
}

/// <summary>
/// The streaming stages of a signal path as its steps add them, in step order: sample stages, then
/// at most one filter bank that splits every channel into bands (nothing may follow it).
/// </summary>
/// <param name="channels">Channels of the pipeline.</param>
/// <param name="blockSamples">The most samples a block may carry (what a filter bank allocates for).</param>
public sealed class SignalPathBuilder(int channels, int blockSamples)
{
    private readonly List<ISampleStage> _stages = [];

    /// <summary>Channels of the pipeline.</summary>
    public int Channels { get; } = channels;

    /// <summary>The most samples a block may carry.</summary>
    public int BlockSamples { get; } = blockSamples;

    /// <summary>The sample stages, in order.</summary>
    public IReadOnlyList<ISampleStage> Stages => _stages;

    /// <summary>The filter bank, or null.</summary>
    public FilterBank? Bank { get; private set; }

    /// <summary>Appends a sample stage.</summary>
    /// <exception cref="InvalidOperationException">After the filter bank.</exception>
    public void Add(ISampleStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (Bank != null)
        {
            throw new InvalidOperationException("a sample stage cannot follow the filter bank.");
        }

        _stages.Add(stage);
    }

    /// <summary>Ends the path with a filter bank.</summary>
    /// <exception cref="InvalidOperationException">When the path already has one.</exception>
    public void Split(FilterBank bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        Bank = Bank is null ? bank : throw new InvalidOperationException("a signal path has at most one filter bank.");
    }
}

/// <summary>The fitted state of one step of the signal path: what a model file carries of it.</summary>
/// <remarks>
/// Model files of format 1 store these as two lists, <c>signal_designs</c> (one design or null per
/// filter or re-referencing step) and <c>filter_bank_designs</c>; <see cref="FittedPipelineFormat1"/> keeps that layout.
/// </remarks>
public abstract record FittedSignalStep : IFittedState
{
    /// <summary>How many bands the step makes of each channel (1 for everything but the filter bank).</summary>
    public virtual int Bands => 1;

    /// <summary>The bands every window carries after <paramref name="steps"/>: the product of their <see cref="Bands"/> (1 without a filter bank).</summary>
    public static int BandsOf(IReadOnlyList<FittedSignalStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        int bands = 1;
        for (int i = 0; i < steps.Count; i++)
        {
            bands *= steps[i].Bands;
        }

        return bands;
    }

    /// <inheritdoc />
    public abstract void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options);
}

/// <summary>The fitted state of a filter or re-referencing step: its second-order sections, or null for a stage without coefficients.</summary>
/// <param name="Design">The filter's design at the pipeline's rate, or null (common average reference).</param>
/// <remarks>Written as the design's object, or JSON null without one (one element of format 1's <c>signal_designs</c>).</remarks>
[JsonConverter(typeof(FittedStateConverter<FittedFilter>))]
public sealed record FittedFilter(SosDesign? Design) : FittedSignalStep, IFittedState<FittedFilter>
{
    /// <inheritdoc />
    public static FittedFilter ReadJson(JsonElement json, JsonSerializerOptions options) =>
        new(json.ValueKind == JsonValueKind.Null ? null : json.Deserialize<SosDesign>(options));

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options) => JsonSerializer.Serialize(writer, Design, options);
}

/// <summary>The fitted state of the filter bank: each band's band-pass, in band order.</summary>
/// <param name="Designs">One design per band, at the pipeline's rate.</param>
/// <remarks>Written as the array of the band designs (format 1's <c>filter_bank_designs</c>); a JSON null reads as no filter bank.</remarks>
[JsonConverter(typeof(FittedStateConverter<FittedFilterBank>))]
public sealed record FittedFilterBank(IReadOnlyList<SosDesign> Designs) : FittedSignalStep, IFittedState<FittedFilterBank>
{
    /// <inheritdoc />
    public static FittedFilterBank? ReadJson(JsonElement json, JsonSerializerOptions options) =>
        json.ValueKind == JsonValueKind.Null ? null : new(json.Deserialize<SosDesign[]>(options) ?? throw new JsonException("the filter bank's designs are null."));

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options) => JsonSerializer.Serialize(writer, Designs, options);

    /// <inheritdoc />
    public override int Bands => Designs.Count;

    /// <inheritdoc />
    public bool Equals(FittedFilterBank? other) => other is not null && Designs.SequenceEqual(other.Designs);

    /// <inheritdoc />
    public override int GetHashCode() => Designs.Count;
}
