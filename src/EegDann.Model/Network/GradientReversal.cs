using TorchSharp;
using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// The gradient-reversal layer: the identity on the way forward, and on the way back the incoming
/// gradient multiplied by −λ. Placed between the feature extractor and the domain head, it makes
/// the extractor <em>maximise</em> the domain loss the head minimises.
/// </summary>
/// <remarks>
/// Ganin &amp; Lempitsky 2015, §3.2, eq. (8)–(9). Written as one native operation rather than a
/// custom <c>autograd.SingleTensorFunction</c>: <c>lerp(x.detach(), x, −λ)</c> is
/// <c>x.detach() + (−λ)·(x − x.detach())</c>, whose value is <c>x</c> bit for bit (the difference is
/// exactly zero for finite <c>x</c>) and whose gradient reaches <c>x</c> only through the
/// <c>end</c> argument, as <c>grad · (−λ)</c> — the product the custom function computed. The
/// custom function cost a managed node, a context and a managed callback during backward on
/// every training step; the native form keeps the whole step inside libtorch's autograd.
/// </remarks>
public static class GradientReversal
{
    /// <summary>Applies the layer: returns <paramref name="input"/>'s values unchanged, reversing and scaling its gradient by −<paramref name="lambda"/>.</summary>
    /// <param name="input">A floating-point tensor.</param>
    /// <param name="lambda">λ ≥ 0, the adaptation factor (see <see cref="LambdaSchedule"/>).</param>
    public static Tensor Apply(Tensor input, double lambda)
    {
        ArgumentNullException.ThrowIfNull(input);
        // A 0-dim weight of the input's type and device (lerp takes no Scalar weight in TorchSharp, and no CPU scalar beside CUDA
        // inputs); −λ rounded to float32 once, as libtorch rounds a double Scalar multiplying a float32 tensor.
        using var weight = input.dtype == ScalarType.Float32 ? tensor((float)-lambda, device: input.device) : tensor(-lambda, input.dtype, input.device);
        using var start = input.detach();
        return start.lerp(input, weight);
    }
}
