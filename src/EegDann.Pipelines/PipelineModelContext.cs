using System.Text.Json;
using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines;

/// <summary>
/// How a model file carries its pipeline: the definition's JSON (exactly the variant that was
/// trained — e.g. without alignment for a source-only baseline) in <see cref="ModelContext.Pipeline"/>,
/// and the whole <see cref="FittedPipeline"/> as one fitted stage named <see cref="FittedStageName"/>.
/// Written by <c>calibrate-new-subject</c>, read by the decoder.
/// </summary>
public static class PipelineModelContext
{
    /// <summary>The name of the fitted stage holding the fitted pipeline's JSON.</summary>
    public const string FittedStageName = "fitted_pipeline";

    /// <summary>The context of a model trained on <paramref name="definition"/> with <paramref name="fitted"/>.</summary>
    /// <param name="definition">The pipeline variant the network was trained on.</param>
    /// <param name="fitted">Its fitted state (filter designs, the subjects' alignments, standardisation).</param>
    /// <param name="extra">Further facts (method, sources, target, ensemble, scores).</param>
    public static ModelContext Create(PipelineDefinition definition, FittedPipeline fitted, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(fitted);
        using var pipeline = JsonDocument.Parse(definition.Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
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
    /// <param name="context">A model file's context.</param>
    /// <param name="source">Where it came from, for messages (e.g. the model file's path).</param>
    /// <exception cref="InvalidDataException">When the context does not carry them or they are not valid; the message names <paramref name="source"/>.</exception>
    public static (PipelineDefinition Definition, FittedPipeline Fitted) Read(ModelContext context, string source)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Pipeline is not { } pipeline)
        {
            throw new InvalidDataException($"{source}: the model file carries no pipeline definition.");
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
