using System.Text.Json;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Definitions;

namespace EegDann.Daemon.Models;

/// <summary>
/// How a model file carries its pipeline: the definition's JSON in <see cref="ModelContext.Pipeline"/>
/// and the whole <see cref="FittedPipeline"/> as one fitted stage named <see cref="FittedStageName"/>.
/// </summary>
/// <remarks>
/// Interim: the <c>calibrate-new-subject</c> use case (issue 5) owns the model file's layout; this
/// reader follows it and will be replaced by its reader when it lands.
/// </remarks>
internal static class PipelineModelContext
{
    /// <summary>The name of the fitted stage holding the fitted pipeline's JSON.</summary>
    public const string FittedStageName = "fitted_pipeline";

    /// <summary>The context of a model trained on <paramref name="definition"/> with <paramref name="fitted"/>.</summary>
    public static ModelContext Create(PipelineDefinition definition, FittedPipeline fitted, IReadOnlyDictionary<string, string>? extra = null)
    {
        using var pipeline = JsonDocument.Parse(definition.Json);
        using var state = JsonDocument.Parse(fitted.ToJson());
        return new ModelContext
        {
            Signal = new SignalInfo(fitted.SampleRateHz, fitted.Channels),
            FeatureNames = fitted.FeatureNames,
            Pipeline = pipeline.RootElement.Clone(),
            FittedStages = [new FittedStage(FittedStageName, state.RootElement.Clone())],
            Extra = extra ?? new Dictionary<string, string>(),
        };
    }

    /// <summary>Reads the pipeline and its fitted state back.</summary>
    /// <exception cref="InvalidDataException">When the context does not carry them; the message names <paramref name="source"/>.</exception>
    public static (PipelineDefinition Definition, FittedPipeline Fitted) Read(ModelContext context, string source)
    {
        if (context.Pipeline is not { } pipeline)
        {
            throw new InvalidDataException($"{source}: the model file carries no pipeline definition, so the daemon cannot build its signal path.");
        }

        var stage = context.FittedStages.FirstOrDefault(s => s.Name == FittedStageName)
            ?? throw new InvalidDataException($"{source}: the model file carries no fitted pipeline (stage '{FittedStageName}').");
        PipelineDefinition definition;
        try
        {
            definition = PipelineDefinitionLoader.Parse(pipeline.GetRawText(), source + " (pipeline)");
        }
        catch (PipelineDefinitionException e)
        {
            throw new InvalidDataException(e.Message, e);
        }

        return (definition, FittedPipeline.FromJson(stage.State.GetRawText(), source + " (fitted pipeline)"));
    }
}
