using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// The gradient-reversal layer as an autograd function: the identity on the way forward, and on
/// the way back the incoming gradient multiplied by −λ. Placed between the feature extractor and
/// the domain head, it makes the extractor <em>maximise</em> the domain loss the head minimises.
/// </summary>
/// <remarks>Ganin &amp; Lempitsky 2015, §3.2, eq. (8)–(9).</remarks>
public sealed class GradientReversal : autograd.SingleTensorFunction<GradientReversal>
{
    private const string LambdaKey = "lambda";

    /// <inheritdoc />
    public override string Name => nameof(GradientReversal);

    /// <summary>Applies the layer: returns <paramref name="input"/> unchanged, reversing and scaling its gradient by −<paramref name="lambda"/>.</summary>
    /// <param name="input">Any tensor.</param>
    /// <param name="lambda">λ ≥ 0, the adaptation factor (see <see cref="LambdaSchedule"/>).</param>
    public static Tensor Apply(Tensor input, double lambda) => apply(input, lambda);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data(LambdaKey, (double)vars[1]);
        return ((Tensor)vars[0]).view_as((Tensor)vars[0]);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        double lambda = (double)ctx.get_data(LambdaKey);
        // An explicit scalar alive until the product exists (an implicit one can be finalised mid-call when another thread allocates).
        using var factor = (-lambda).ToScalar();
        return [grad_output.mul(factor), null!];
    }
}
