using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EegDann.Model;

namespace EegDann.Daemon.Benchmarks;

/// <summary>One method's step time, EegDann's and (when it ran) PyTorch's, medians over rounds.</summary>
/// <param name="Method"><c>source_only</c> or <c>dann</c>.</param>
/// <param name="SecondsPerStep">EegDann's median time per training step, s.</param>
/// <param name="TargetAccuracy">EegDann's accuracy on the target blobs (a sanity check, not a score).</param>
/// <param name="PyTorchSecondsPerStep">The PyTorch reference's median time per step, s, or null.</param>
/// <param name="PyTorchTargetAccuracy">The reference's target accuracy, or null.</param>
public sealed record DannStepMethod(string Method, double SecondsPerStep, double TargetAccuracy, double? PyTorchSecondsPerStep, double? PyTorchTargetAccuracy)
{
    /// <summary>PyTorch's time over EegDann's (above 1: EegDann is faster), or null.</summary>
    public double? Speedup => PyTorchSecondsPerStep / SecondsPerStep;
}

/// <summary>The training-step timings.</summary>
/// <param name="Rounds">Rounds (EegDann and the reference interleaved).</param>
/// <param name="Epochs">Epochs per training run.</param>
/// <param name="Methods">One entry per method.</param>
/// <param name="PyTorchMissing">Why the PyTorch reference did not run, or null when it did.</param>
public sealed record DannStepResult(int Rounds, int Epochs, IReadOnlyList<DannStepMethod> Methods, string? PyTorchMissing);

/// <summary>
/// Time per training step of <c>source_only</c> and <c>dann</c> on the two-blob problem (2 → 32 → 32,
/// domain head 32 → 32 → 2, batches of 64 + 64, one libtorch thread) beside the PyTorch reference
/// <c>bench/python/dann_reference.py</c> on the same data in the same run, rounds interleaved so
/// both see the same machine. The reference runs only when Python with torch, numpy and
/// scikit-learn is there; otherwise the result says why (never a made-up number). Used by
/// <c>eegdann bench</c> and the bench project's <c>dann-step</c>.
/// </summary>
public static class DannStepTiming
{
    /// <summary>The reference script's place in the repository.</summary>
    public static readonly string ReferenceScript = Path.Combine("bench", "python", "dann_reference.py");

    /// <summary>Runs <paramref name="rounds"/> rounds of <paramref name="epochs"/> epochs per method.</summary>
    /// <param name="rounds">Rounds (≥ 1); the medians are reported.</param>
    /// <param name="epochs">Epochs per training run (the reference's default is 200).</param>
    /// <param name="python">The Python interpreter, or null to skip the reference.</param>
    /// <param name="script">The reference script, or null to skip it.</param>
    /// <param name="log">Receives one line per round.</param>
    /// <param name="cancellationToken">Stops between runs.</param>
    public static async Task<DannStepResult> MeasureAsync(int rounds, int epochs, string? python, string? script, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        const int Seed = 0;
        TorchRuntime.UseThreads(1);
        var data = TwoBlobs.Generate(Seed, TwoBlobs.ReferenceTargetShift);
        var problem = new TrainingProblem(new LabeledSamples(data.Source, data.SourceLabels), data.Target, TwoBlobs.ClassNames);
        var settings = new TrainingOptions { Seed = Seed, Epochs = epochs };
        string? missing = await ReferenceMissingAsync(python, script, cancellationToken);

        // Warm-up: the JIT's and libtorch's first-call costs.
        Train(problem, settings with { Epochs = Math.Min(5, epochs), Method = TrainingMethod.Dann }, null);
        Train(problem, settings with { Epochs = Math.Min(5, epochs), Method = TrainingMethod.SourceOnly }, null);

        TrainingMethod[] timed = [TrainingMethod.SourceOnly, TrainingMethod.Dann];
        // The reference script reports each method under the same name (dann_reference.py's JSON keys).
        string[] names = timed.Select(m => m.Name()).ToArray();
        string Latest(Dictionary<string, List<double>> seconds) =>
            string.Join(", ", names.Select(n => string.Create(CultureInfo.InvariantCulture, $"{n} {seconds[n][^1] * 1e6:F0} µs")));
        var ours = names.ToDictionary(n => n, _ => new List<double>());
        var theirs = names.ToDictionary(n => n, _ => new List<double>());
        var accuracy = names.ToDictionary(n => n, _ => (Ours: double.NaN, Theirs: (double?)null));
        for (int round = 1; round <= rounds; round++)
        {
            if (missing is null)
            {
                var json = await RunReferenceAsync(python!, script!, Seed, epochs, cancellationToken);
                foreach (string name in names)
                {
                    theirs[name].Add(json.GetProperty(name).GetProperty("seconds_per_step").GetDouble());
                    accuracy[name] = (accuracy[name].Ours, json.GetProperty(name).GetProperty("target_accuracy").GetDouble());
                }
            }

            foreach (var method in timed)
            {
                string name = method.Name();
                cancellationToken.ThrowIfCancellationRequested();
                var (perStep, acc) = Train(problem, settings with { Method = method }, data);
                ours[name].Add(perStep);
                accuracy[name] = (acc, accuracy[name].Theirs);
            }

            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"round {round}: EegDann {Latest(ours)}") + (missing is null ? $"; PyTorch {Latest(theirs)}" : string.Empty));
        }

        var methods = names.Select(n => new DannStepMethod(n, Median(ours[n]), accuracy[n].Ours, missing is null ? Median(theirs[n]) : null, accuracy[n].Theirs)).ToList();
        return new DannStepResult(rounds, epochs, methods, missing);
    }

    /// <summary>Why the reference cannot run (no interpreter, no script, or torch/numpy/scikit-learn not importable), or null when it can.</summary>
    public static async Task<string?> ReferenceMissingAsync(string? python, string? script, CancellationToken cancellationToken = default)
    {
        if (python is null || !File.Exists(python))
        {
            return $"no Python interpreter{(python is null ? string.Empty : " at " + python)}";
        }

        if (script is null || !File.Exists(script))
        {
            return $"the reference script {script ?? ReferenceScript} is missing";
        }

        var (code, _, stderr) = await RunAsync(python, ["-c", "import torch, numpy, sklearn"], cancellationToken);
        if (code != 0)
        {
            string last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {code}";
            return $"{python} cannot import torch, numpy and sklearn ({last})";
        }

        return null;
    }

    private static (double SecondsPerStep, double TargetAccuracy) Train(TrainingProblem problem, TrainingOptions options, BlobsData? data)
    {
        var result = Trainers.Train(problem, options);
        using var model = result.RequireModel();
        double accuracy = data is null ? double.NaN : model.Predict(data.Target).Zip(data.TargetLabels).Count(p => p.First == p.Second) / (double)data.TargetLabels.Length;
        return (result.StepTime.TotalSeconds / result.Steps, accuracy);
    }

    private static async Task<JsonElement> RunReferenceAsync(string python, string script, int seed, int epochs, CancellationToken cancellationToken)
    {
        string[] args = [script, "blobs", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--threads", "1", "--epochs", epochs.ToString(CultureInfo.InvariantCulture)];
        var (code, stdout, stderr) = await RunAsync(python, args, cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"{script} failed (exit code {code}): {stderr}");
        }

        using var document = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        return document.RootElement.Clone();
    }

    private static async Task<(int Code, string StdOut, string StdErr)> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
