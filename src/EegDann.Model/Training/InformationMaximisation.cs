using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// The information-maximisation loss on unlabeled target predictions: the mean conditional
/// entropy of each prediction minus the entropy of the mean prediction. Minimising it makes each
/// target prediction confident and keeps the predictions spread over the classes (the second term
/// stops the degenerate answer of one class for the whole target).
/// </summary>
/// <remarks>
/// Gomes R., Krause A., Perona P. Discriminative Clustering by Regularized Information
/// Maximization. NIPS 2010; Shi Y., Sha F. Information-Theoretical Learning of Discriminative
/// Clusters for Unsupervised Domain Adaptation. ICML 2012; Liang J., Hu D., Feng J. Do We Really
/// Need to Access the Source Data? Source Hypothesis Transfer for Unsupervised Domain Adaptation
/// (SHOT). ICML 2020, whose weights (1 and 1) are used: the loss is
/// <c>mean_i H(p_i) − H(mean_i p_i)</c>, in nats, in [−ln C, ln C].
/// </remarks>
public static class InformationMaximisation
{
    /// <summary>Guards the logarithm of a class share that is (numerically) zero.</summary>
    private const double Epsilon = 1e-8;

    /// <summary>The loss of each member: <paramref name="logits"/> <c>(members, rows, classes)</c> → <c>(members)</c>.</summary>
    public static Tensor Loss(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        // Explicit scalars kept alive to the end of the call (see FlatSgd: an implicit one can be freed mid-call).
        using var epsilon = Epsilon.ToScalar();
        using var one = 1.ToScalar();
        var logProbabilities = nn.functional.log_softmax(logits, 2);
        var probabilities = logProbabilities.exp();
        // (members): mean over rows of each row's entropy.
        var conditional = probabilities.mul(logProbabilities).sum(2).neg().mean([1]);
        // (members, classes) → (members): entropy of the mean prediction.
        var mean = probabilities.mean([1]);
        var diversity = mean.mul(mean.clamp_min(epsilon).log()).sum(1).neg();
        return conditional.add(diversity.neg(), one);
    }
}
