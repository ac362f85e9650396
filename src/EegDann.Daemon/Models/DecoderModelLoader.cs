using EegDann.Model;
using EegDann.Pipelines;
using EegDann.Pipelines.Definitions;

namespace EegDann.Daemon.Models;

/// <summary>
/// Reads a model file and checks, before the daemon uses it, that its network, pipeline and
/// fitted state fit together and that a forward pass gives probabilities. Every problem is
/// listed at once, naming the file.
/// </summary>
public static class DecoderModelLoader
{
    /// <summary>Reads and checks a model file.</summary>
    /// <param name="path">The model file.</param>
    /// <exception cref="InvalidDataException">When it is not a usable model; the message names the file and every problem.</exception>
    /// <exception cref="IOException">When it cannot be read.</exception>
    public static DecoderModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new IOException($"{full}: cannot read the model file ({e.Message}).", e);
        }

        return Load(bytes, full);
    }

    /// <summary>Reads and checks a model file's bytes.</summary>
    /// <param name="bytes">The model file's content.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="InvalidDataException">When it is not a usable model.</exception>
    public static DecoderModel Load(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ModelPackage package;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            package = ModelFile.Read(stream);
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw Refused(source, e);
        }

        try
        {
            var (definition, fitted) = PipelineModelContext.Read(package.Context, source);
            var model = new DecoderModel(package, definition, fitted, source);
            var problems = Problems(model);
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"{source}: the model cannot decode: " + string.Join("; ", problems) + ".");
            }

            return model;
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            package.Dispose();
            throw e is InvalidDataException && e.Message.StartsWith(source + ": ", StringComparison.Ordinal) ? e : Refused(source, e);
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }

    /// <summary>The longest problem text quoted from a model file (a file's own strings may be huge).</summary>
    private const int MaxProblemLength = 1000;

    /// <summary>
    /// Whatever a file makes the reader or the checks throw is a bad file, not a bug to stop the
    /// daemon for (only running out of memory and a stack overflow are not; sizes are bounded
    /// before allocation, so a file should not cause the former).
    /// </summary>
    private static bool IsLoadFailure(Exception e) => e is not (OutOfMemoryException or StackOverflowException or OperationCanceledException);

    private static InvalidDataException Refused(string source, Exception e)
    {
        string problem = e is InvalidDataException ? e.Message : $"the model file cannot be read ({e.GetType().Name}: {e.Message})";
        if (problem.Length > MaxProblemLength)
        {
            problem = problem[..MaxProblemLength] + "…";
        }

        return new InvalidDataException($"{source}: {problem}", e);
    }

    private static List<string> Problems(DecoderModel model)
    {
        var problems = new List<string>();
        var definition = model.Definition;
        var fitted = model.Fitted;
        var spec = model.Package.Model.Spec;
        if (!definition.ClassNames.SequenceEqual(model.ClassNames, StringComparer.Ordinal))
        {
            problems.Add($"the network's classes [{string.Join(", ", model.ClassNames)}] differ from the pipeline's [{string.Join(", ", definition.ClassNames)}]");
        }

        if (!fitted.Channels.SequenceEqual(definition.Signal.Channels, StringComparer.Ordinal) || !fitted.SampleRateHz.Equals(definition.Signal.SampleRateHz))
        {
            problems.Add("the fitted pipeline's channels or rate differ from the pipeline definition's");
        }

        if (model.WindowSamples != fitted.EpochSamples)
        {
            problems.Add($"the sliding window ({model.WindowSamples} samples) differs from the epoch length the model was trained on ({fitted.EpochSamples} samples)");
        }

        int[] expected = definition.SampleShape(fitted.FeatureNames.Count);
        if (!spec.SampleShape.SequenceEqual(expected))
        {
            problems.Add($"the network reads inputs of shape [{string.Join(", ", spec.SampleShape)}], the pipeline makes [{string.Join(", ", expected)}]");
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        try
        {
            // Builds every stage (filter designs, feature fits) exactly as the live path will.
            // Standardised per subject, with each subject's statistics the model carries.
            _ = FeaturePipeline.CreateFeaturizer(definition, fitted, standardize: fitted.SubjectStandardization is null);
            foreach (var subject in fitted.SubjectStandardization?.Subjects.Keys ?? [])
            {
                _ = FeaturePipeline.CreateFeaturizer(definition, fitted, standardize: true, subject);
            }

            _ = Pipelines.Signal.SignalPipeline.Create(definition, fitted);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            problems.Add("its pipeline cannot be built: " + e.Message);
            return problems;
        }

        var probabilities = new float[model.ClassNames.Count];
        model.CreatePredictor().PredictProbabilities(new float[model.InputSize], probabilities);
        if (probabilities.Any(p => !float.IsFinite(p)))
        {
            problems.Add("a forward pass on a zero input gives non-finite probabilities");
        }

        return problems;
    }
}
