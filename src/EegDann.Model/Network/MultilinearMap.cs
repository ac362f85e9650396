using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// CDAN's conditioning of the domain head: the multilinear map of features f and class
/// probabilities g, the flattened outer product g ⊗ f. The domain head then sees which features
/// occur with which predicted class, so the adversary aligns the joint distribution of features
/// and predictions instead of the features alone.
/// </summary>
/// <remarks>
/// Long M., Cao Z., Wang J., Jordan M.I. Conditional Adversarial Domain Adaptation. NeurIPS 2018,
/// §3.2 (multilinear conditioning; the randomised map is for large products, not needed for a few
/// dozen values). The layout is that of thuml/Transfer-Learning-Library's <c>MultiLinearMap</c>
/// (<c>bmm(g.unsqueeze(2), f.unsqueeze(1)).view(batch, -1)</c>): class-major, value
/// <c>c · featureSize + j</c> is <c>g[c] · f[j]</c>. The probabilities are a constant of the
/// map, as TLlib's <c>ConditionalDomainAdversarialLoss</c> detaches them: the domain loss reaches
/// the extractor through f only and never the label head.
/// </remarks>
public static class MultilinearMap
{
    /// <summary>The class probabilities the map is conditioned on: the softmax of <paramref name="logits"/> over the last dimension, with no gradient.</summary>
    /// <param name="logits">Class logits <c>(…, classes)</c>.</param>
    public static Tensor Probabilities(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var noGrad = no_grad();
        return nn.functional.softmax(logits, -1).detach();
    }

    /// <summary>The map: <c>(…, features)</c> and <c>(…, classes)</c> → <c>(…, classes · features)</c>, class-major.</summary>
    /// <param name="features">The features f (their gradient is kept; put gradient reversal before or after, the map is linear in f).</param>
    /// <param name="probabilities">The class probabilities g, without gradient (<see cref="Probabilities"/>).</param>
    /// <exception cref="ArgumentException">When the leading dimensions differ.</exception>
    public static Tensor Apply(Tensor features, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (features.dim() != probabilities.dim() || !features.shape.AsSpan(0, (int)features.dim() - 1).SequenceEqual(probabilities.shape.AsSpan(0, (int)probabilities.dim() - 1)))
        {
            throw new ArgumentException(
                $"features [{string.Join(", ", features.shape)}] and probabilities [{string.Join(", ", probabilities.shape)}] differ before their last dimension.",
                nameof(probabilities));
        }

        // (…, classes, 1) · (…, 1, features) → (…, classes, features) → (…, classes · features)
        return probabilities.unsqueeze(-1).mul(features.unsqueeze(-2)).flatten(-2);
    }
}
