namespace EegDann.Model;

/// <summary>
/// What one epoch looked like, measured at its end in evaluation mode on a fixed subset of the
/// training data (at most <see cref="TrainingOptions.DiagnosticSamples"/> source and as many target samples).
/// </summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Progress">Training progress p ∈ [0, 1] at the end of the epoch.</param>
/// <param name="Lambda">λ of the last step of the epoch (0 for non-adversarial methods).</param>
/// <param name="LearningRate">Learning rate of the last step of the epoch.</param>
/// <param name="LabelLoss">Mean cross-entropy of the class predictions on source samples (unweighted).</param>
/// <param name="SourceAccuracy">Accuracy on those source samples, in [0, 1].</param>
/// <param name="DomainLoss">Mean cross-entropy of the domain head on source and target samples; null when the method has no domain head.</param>
/// <param name="DomainAccuracy">
/// Accuracy of the domain head (source vs target, balanced: mean of the per-domain accuracies); about
/// 0.5 (1/domains) when the features no longer tell the domains apart. Null when the method has no domain head.
/// </param>
/// <param name="TargetLabeledLoss">Mean cross-entropy on the labeled target samples (semi-supervised), else null.</param>
public sealed record EpochDiagnostics(
    int Epoch,
    double Progress,
    double Lambda,
    double LearningRate,
    double LabelLoss,
    double SourceAccuracy,
    double? DomainLoss,
    double? DomainAccuracy,
    double? TargetLabeledLoss);

/// <summary>Why training stopped without a model.</summary>
/// <param name="Reason">What went wrong, for people, e.g. "the source label loss became NaN in epoch 3 (learning rate 50)".</param>
/// <param name="Epoch">1-based epoch in which it was found; 0: nothing could be fitted at all (e.g. no labeled epoch to fit on).</param>
/// <param name="Hint">What to try, e.g. "lower the learning rate".</param>
public sealed record TrainingFailure(string Reason, int Epoch, string Hint)
{
    /// <inheritdoc />
    public override string ToString() => Epoch > 0 ? $"Training stopped in epoch {Epoch}: {Reason}. {Hint}" : $"Not fitted: {Reason}; {Hint}.";
}

/// <summary>Thrown by <see cref="TrainingResult.RequireModel"/> when training failed.</summary>
public sealed class TrainingFailedException(TrainingFailure failure) : Exception(failure.ToString())
{
    /// <summary>The failure.</summary>
    public TrainingFailure Failure { get; } = failure;
}

/// <summary>
/// The outcome of a training run: a model and its per-epoch diagnostics, or — when training
/// diverged — a failure report, the diagnostics up to that point and no model.
/// </summary>
public sealed class TrainingResult
{
    internal TrainingResult(TrainedModel? model, TrainingFailure? failure, IReadOnlyList<EpochDiagnostics> epochs, TimeSpan elapsed, TimeSpan stepTime, long steps)
    {
        StepTime = stepTime;
        Model = model;
        Failure = failure;
        Epochs = epochs;
        Elapsed = elapsed;
        Steps = steps;
    }

    /// <summary>The trained model; null when training failed. The caller owns (disposes) it.</summary>
    public TrainedModel? Model { get; }

    /// <summary>Why training failed; null when it succeeded.</summary>
    public TrainingFailure? Failure { get; }

    /// <summary>Whether there is a model.</summary>
    public bool Succeeded => Model is not null;

    /// <summary>Diagnostics of every completed epoch, in order.</summary>
    public IReadOnlyList<EpochDiagnostics> Epochs { get; }

    /// <summary>Wall time of the run (not stored in the model file, which stays byte-identical across runs).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Wall time spent in the optimisation steps alone (batch gathering, forward, backward,
    /// update), without setup and the per-epoch diagnostics; <c>StepTime / Steps</c> is the time
    /// per training step.
    /// </summary>
    public TimeSpan StepTime { get; }

    /// <summary>Optimisation steps taken.</summary>
    public long Steps { get; }

    /// <summary>The model, or a <see cref="TrainingFailedException"/> describing the failure.</summary>
    public TrainedModel RequireModel() => Model ?? throw new TrainingFailedException(Failure!);
}
