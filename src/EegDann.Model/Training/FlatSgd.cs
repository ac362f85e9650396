using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// Stochastic gradient descent with momentum and L2 weight decay, with PyTorch's semantics
/// (<c>g += wd·θ; v = m·v + g</c> (v = g on the first step); <c>θ −= μ·v</c>), over all parameters
/// at once: the parameters are moved into views of one flat buffer and their gradients into views
/// of another, so zeroing the gradients is one call and a step is three — instead of several calls
/// per parameter tensor. Autograd accumulates into the gradient views in place.
/// </summary>
public sealed class FlatSgd : IDisposable
{
    private readonly Tensor values;
    private readonly Tensor gradients;
    private readonly Tensor velocity;
    private readonly double momentum;
    private readonly double weightDecay;
    // Explicit scalars, alive as long as the optimiser: an implicit Scalar (double → Scalar) passes
    // only its native handle to libtorch, so with another thread allocating, a garbage collection
    // can finalise (free) it while the native call still reads it (seen with evaluate --parallel 2).
    private readonly Scalar momentumScalar;
    private readonly Scalar weightDecayScalar;
    private readonly Scalar one;
    private bool started;

    /// <summary>Takes over <paramref name="parameters"/> (float32, CPU): their storage becomes views of one buffer.</summary>
    /// <param name="parameters">The parameters to optimise.</param>
    /// <param name="momentum">Momentum m in [0, 1).</param>
    /// <param name="weightDecay">L2 weight decay ≥ 0.</param>
    public FlatSgd(IEnumerable<TorchSharp.Modules.Parameter> parameters, double momentum, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        momentumScalar = momentum.ToScalar();
        weightDecayScalar = weightDecay.ToScalar();
        one = 1.ToScalar();
        long total = list.Sum(p => p.numel());
        using var noGrad = no_grad();
        values = zeros(total);
        gradients = zeros(total);
        velocity = zeros(total);
        long offset = 0;
        foreach (var p in list)
        {
            long n = p.numel();
            var view = values.narrow(0, offset, n).view(p.shape);
            view.copy_(p);
            p.set_(view);
            p.grad = gradients.narrow(0, offset, n).view(p.shape);
            offset += n;
        }
    }

    /// <summary>All parameter values, flat (a view shared with the parameters).</summary>
    public Tensor Values => values;

    /// <summary>Sets every gradient to zero (one call).</summary>
    public void ZeroGrad() => gradients.zero_();

    /// <summary>One update with learning rate <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        using var noGrad = no_grad();
        using var rate = (-learningRate).ToScalar();
        if (weightDecay > 0)
        {
            gradients.add_(values, alpha: weightDecayScalar);
        }

        if (momentum > 0)
        {
            if (started)
            {
                // add_(tensor) would pass an implicit alpha 1 of its own: give it ours.
                velocity.mul_(momentumScalar).add_(gradients, alpha: one);
            }
            else
            {
                velocity.copy_(gradients);
                started = true;
            }

            values.add_(velocity, alpha: rate);
        }
        else
        {
            values.add_(gradients, alpha: rate);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        velocity.Dispose();
        gradients.Dispose();
        momentumScalar.Dispose();
        weightDecayScalar.Dispose();
        one.Dispose();
    }
}
