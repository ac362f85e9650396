using System.Text.Json.Nodes;
using EegDann.Dsp.Features;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary><c>log_variance</c>: ln of the variance of each channel.</summary>
public sealed record LogVarianceSpec() : UnfittedFeatureStep<LogVarianceSpec>(LogVarianceSpec.Info.Name), IStepType<LogVarianceSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("log_variance", "ln of the variance of each channel (µV²)", []);

    /// <inheritdoc />
    public static LogVarianceSpec Parse(JsonSection parameters) => new();

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => [];

    /// <inheritdoc />
    protected override IFeatureExtractor Create(FeatureShape shape) => new LogVarianceFeatures(shape.Channels);
}

/// <summary><c>covariance</c>: upper triangle of the spatial covariance.</summary>
public sealed record CovarianceSpec() : UnfittedFeatureStep<CovarianceSpec>(CovarianceSpec.Info.Name), IStepType<CovarianceSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("covariance", "upper triangle of the spatial covariance", []);

    /// <inheritdoc />
    public static CovarianceSpec Parse(JsonSection parameters) => new();

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => [];

    /// <inheritdoc />
    protected override IFeatureExtractor Create(FeatureShape shape) => new CovarianceFeatures(shape.Channels);
}

/// <summary><c>band_power</c>: Hann-periodogram power per band and channel.</summary>
/// <param name="Bands">The bands, Hz.</param>
/// <param name="Log">Whether the power is taken as ln.</param>
public sealed record BandPowerSpec(IReadOnlyList<FrequencyBand> Bands, bool Log) : UnfittedFeatureStep<BandPowerSpec>(BandPowerSpec.Info.Name), IStepType<BandPowerSpec>
{
    /// <inheritdoc />
    public static StepTypeInfo Info { get; } = new("band_power", "band power per band and channel (Hann periodogram)", ["bands", "log"]);

    /// <inheritdoc />
    public static BandPowerSpec Parse(JsonSection parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(parameters.PairList("bands").Select(b => new FrequencyBand(b.Low, b.High)).ToArray(), parameters.Boolean("log", true));
    }

    /// <inheritdoc />
    public override IReadOnlyList<StepProblem> Validate(FeatureShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        try
        {
            // The extractor checks every band against the spectrum of this window length and rate.
            Create(shape);
            return [];
        }
        catch (ArgumentException e)
        {
            return [new StepProblem("bands", e.Message)];
        }
    }

    /// <inheritdoc />
    public override JsonObject ParametersToJson() => new() { ["bands"] = BandsToJson(Bands), ["log"] = Log };

    /// <inheritdoc />
    protected override IFeatureExtractor Create(FeatureShape shape) => new BandPowerFeatures(shape.Channels, shape.Samples, shape.SampleRateHz, Bands, Log);

    /// <inheritdoc />
    public bool Equals(BandPowerSpec? other) => other is not null && Log == other.Log && Bands.SequenceEqual(other.Bands);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Log, Bands.Count);
}
