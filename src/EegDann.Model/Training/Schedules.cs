namespace EegDann.Model;

/// <summary>
/// The adaptation factor λ of the gradient-reversal layer as training progresses:
/// λ_p = scale · (2 / (1 + exp(−γ·p)) − 1), rising from 0 at p = 0 towards <see cref="Scale"/>.
/// </summary>
/// <remarks>
/// Ganin &amp; Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015, §5 (γ = 10):
/// the slow start keeps the domain classifier's noisy early signal from disturbing the features.
/// </remarks>
/// <param name="Scale">The value λ tends to at the end, &gt; 0 (the paper: 1).</param>
/// <param name="Gamma">The steepness γ, &gt; 0 (the paper: 10).</param>
public sealed record LambdaSchedule(double Scale = 1.0, double Gamma = 10.0)
{
    /// <summary>The paper's schedule: scale 1, γ = 10.</summary>
    public static LambdaSchedule Paper { get; } = new();

    /// <summary>λ at progress <paramref name="progress"/> ∈ [0, 1] (clamped).</summary>
    public double At(double progress)
    {
        double p = Math.Clamp(progress, 0, 1);
        return Scale * (2.0 / (1.0 + Math.Exp(-Gamma * p)) - 1.0);
    }
}

/// <summary>
/// The learning-rate annealing of the paper: μ_p = μ0 / (1 + α·p)^β.
/// </summary>
/// <remarks>Ganin &amp; Lempitsky 2015, §5: μ0 = 0.01, α = 10, β = 0.75.</remarks>
/// <param name="Initial">μ0, &gt; 0.</param>
/// <param name="Alpha">α ≥ 0 (the paper: 10).</param>
/// <param name="Beta">β ≥ 0 (the paper: 0.75).</param>
public sealed record LearningRateSchedule(double Initial = 0.01, double Alpha = 10.0, double Beta = 0.75)
{
    /// <summary>μ at progress <paramref name="progress"/> ∈ [0, 1] (clamped).</summary>
    public double At(double progress)
    {
        double p = Math.Clamp(progress, 0, 1);
        return Initial / Math.Pow(1.0 + Alpha * p, Beta);
    }
}
