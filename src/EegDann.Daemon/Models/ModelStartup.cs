using EegDann.Daemon.Options;
using EegDann.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Models;

/// <summary>
/// Loads and checks the configured model before any other stage starts (a bad model file stops
/// the start with a message naming it), sets libtorch's thread count, and warms the forward pass
/// up so the first windows do not pay for JIT compilation.
/// </summary>
internal sealed partial class ModelStartup(IOptions<DecoderOptions> options, ActiveModel models, ILogger<ModelStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var decoder = options.Value;
        TorchRuntime.UseThreads(decoder.TorchThreads);
        var device = TorchRuntime.UseDevice(decoder.Device, $"{DecoderOptions.SectionName}:{nameof(DecoderOptions.Device)}");
        DecoderModel model;
        try
        {
            model = DecoderModelLoader.Load(decoder.ModelPath!);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new DaemonSettingsException($"{DecoderOptions.SectionName}:{nameof(DecoderOptions.ModelPath)}", "cannot be loaded: " + e.Message, e);
        }

        var predictor = model.CreatePredictor();
        var input = new float[model.InputSize];
        var probabilities = new float[model.ClassNames.Count];
        for (int i = 0; i < 50; i++)
        {
            predictor.PredictProbabilities(input, probabilities);
        }

        models.Initialize(model, decoder.Alignment);
        LogLoaded(model.Id, model.Source, device.ToString(), model.Definition.Name, string.Join(", ", model.ClassNames), model.WindowSamples, model.StrideSamples, model.PipelineSignal.SampleRateHz);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelId} loaded from {Source} onto {Device}: pipeline {Pipeline}, classes {Classes}, windows of {WindowSamples} samples every {StrideSamples} at {SampleRateHz} Hz")]
    private partial void LogLoaded(string modelId, string source, string device, string pipeline, string classes, int windowSamples, int strideSamples, double sampleRateHz);
}
