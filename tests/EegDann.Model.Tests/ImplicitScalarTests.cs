using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace EegDann.Model.Tests;

/// <summary>
/// An implicit TorchSharp <see cref="Scalar"/> (a number where a Scalar is expected) passes only its
/// native handle to libtorch and is left to the finaliser, so a collection triggered by another
/// thread can free it while the native call still reads it (evaluate --parallel 2 crashed in
/// FlatSgd.Step with 'toFloat'). A stress test cannot catch this reliably — a freed scalar usually
/// still reads right — so this test reads the IL instead: the model code must neither convert a
/// number to a Scalar implicitly nor call a TorchSharp method that does so inside (add(tensor) with
/// its implicit alpha 1, square() with its implicit 2, the + operator, the number operators …).
/// </summary>
public sealed class ImplicitScalarTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void ModelCodeCreatesNoImplicitTorchSharpScalarsDirectlyOrThroughTorchSharp()
    {
        var offenders = new List<string>();
        var unsafeCache = new Dictionary<MethodBase, bool>();
        var assembly = typeof(TrainedModel).Assembly;
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in Methods(type))
            {
                foreach (var callee in Callees(method))
                {
                    if (callee.DeclaringType?.Assembly == typeof(Scalar).Assembly && CreatesImplicitScalar(callee, 3, unsafeCache))
                    {
                        offenders.Add($"{type.FullName}.{method.Name} calls {callee.DeclaringType.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "Implicit TorchSharp scalars (use an explicit ToScalar() kept alive to the end of the call):\n" + string.Join("\n", offenders.Distinct()));
    }

    [Fact]
    public void TheCheckRecognisesTorchSharpsOwnImplicitScalars()
    {
        // The scan must see through TorchSharp: these create an implicit Scalar inside, the explicit overloads do not.
        var cache = new Dictionary<MethodBase, bool>();
        var tensor = typeof(torch.Tensor);
        Assert.True(CreatesImplicitScalar(tensor.GetMethod(nameof(torch.Tensor.add_), [tensor])!, 3, cache));
        Assert.True(CreatesImplicitScalar(tensor.GetMethod(nameof(torch.Tensor.square), Type.EmptyTypes)!, 3, cache));
        Assert.True(CreatesImplicitScalar(tensor.GetMethod("op_Addition", [tensor, tensor])!, 3, cache));
        Assert.True(CreatesImplicitScalar(tensor.GetMethod("op_Multiply", [tensor, typeof(double)])!, 3, cache));
        Assert.False(CreatesImplicitScalar(tensor.GetMethod(nameof(torch.Tensor.add_), [tensor, typeof(Scalar)])!, 3, cache));
        Assert.False(CreatesImplicitScalar(tensor.GetMethod(nameof(torch.Tensor.mul), [typeof(Scalar)])!, 3, cache));
        Assert.False(CreatesImplicitScalar(tensor.GetMethod("op_Subtraction", [tensor, tensor])!, 3, cache));
    }

    private static IEnumerable<MethodBase> Methods(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all));
    }

    /// <summary>Whether <paramref name="method"/> (TorchSharp) converts a number to a Scalar implicitly, itself or through its callees up to <paramref name="depth"/> levels.</summary>
    private static bool CreatesImplicitScalar(MethodBase method, int depth, Dictionary<MethodBase, bool> cache)
    {
        if (method.DeclaringType == typeof(Scalar) && method.Name == "op_Implicit")
        {
            return true;
        }

        if (depth == 0 || method.DeclaringType?.Assembly != typeof(Scalar).Assembly)
        {
            return false;
        }

        if (cache.TryGetValue(method, out bool known))
        {
            return known;
        }

        cache[method] = false; // recursion guard
        bool result = Callees(method).Any(c => CreatesImplicitScalar(c, depth - 1, cache));
        cache[method] = result;
        return result;
    }

    /// <summary>The methods and constructors <paramref name="method"/>'s IL calls (call, callvirt, newobj, ldftn).</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            i += op.Size;
            int operandSize = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
            if (op.OperandType == OperandType.InlineMethod)
            {
                int token = BitConverter.ToInt32(il, i);
                MethodBase? callee = null;
                try
                {
                    callee = method.Module.ResolveMethod(token, typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                }

                if (callee is not null)
                {
                    yield return callee;
                }
            }

            i += operandSize;
        }
    }
}
