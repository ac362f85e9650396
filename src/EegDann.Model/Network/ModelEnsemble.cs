using static TorchSharp.torch;

namespace EegDann.Model;

/// <summary>
/// Several MLP networks trained on the same data (different seeds) joined into one network whose
/// class logits are the mean of the members' logits: an ensemble that decodes, saves and loads
/// like any single <see cref="TrainedModel"/>.
/// </summary>
/// <remarks>
/// The join is exact, not an approximation: the first hidden layer stacks the members' rows, later
/// hidden layers are block-diagonal (member k's units read only member k's units), and the label
/// head concatenates the members' heads scaled by 1/K with the mean of their biases, so the joined
/// logits are (1/K)·Σ member logits up to float rounding. The domain head is joined the same way
/// (block-diagonal hidden layers, averaged output); it is kept for the model file's completeness
/// and is not used in decoding. A CDAN domain head (<see cref="DomainHeadInput.MultilinearMap"/>) is
/// joined with its first layer's columns rearranged to the joined map's class-major layout, so member
/// k's block reads g[c] · f_k[j]; g is then the joined network's probabilities, not member k's own, so
/// that head is not the members' heads exactly. Dropout is off at decode time, so the members' dropout does not matter.
/// </remarks>
public static class ModelEnsemble
{
    /// <summary>Joins <paramref name="members"/> into one network.</summary>
    /// <param name="members">At least one trained MLP network, all with the same architecture, classes and input standardisation.</param>
    /// <param name="record">The training record to carry (e.g. the first member's, with the ensemble described in the model file's context).</param>
    /// <returns>A new model; the members are left as they are (the caller still owns them).</returns>
    /// <exception cref="ArgumentException">When the members cannot be joined; the message says why.</exception>
    public static TrainedModel Merge(IReadOnlyList<TrainedModel> members, TrainingRecord record)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(record);
        if (members.Count == 0)
        {
            throw new ArgumentException("an ensemble needs at least one member.", nameof(members));
        }

        var spec = members[0].Spec;
        if (spec.Extractor is not MlpExtractorSpec mlp)
        {
            throw new ArgumentException("only MLP networks can be joined into one network.", nameof(members));
        }

        foreach (var member in members)
        {
            if (!member.Spec.Equals(spec) || !member.ClassNames.SequenceEqual(members[0].ClassNames, StringComparer.Ordinal))
            {
                throw new ArgumentException("the members differ in architecture or classes.", nameof(members));
            }

            if (!member.Network.Standardizer.Mean.SequenceEqual(members[0].Network.Standardizer.Mean) ||
                !member.Network.Standardizer.Scale.SequenceEqual(members[0].Network.Standardizer.Scale))
            {
                throw new ArgumentException("the members were standardised differently (trained on different data).", nameof(members));
            }
        }

        int k = members.Count;
        var parameters = members.Select(Parameters).ToArray();
        var joined = new Dictionary<string, (float[] Values, long[] Shape)>(StringComparer.Ordinal);
        var hidden = mlp.HiddenSizes;
        for (int l = 0; l < hidden.Count; l++)
        {
            string name = $"features.layers.{l}";
            joined[name + ".weight"] = l == 0 ? StackRows(parameters, name + ".weight") : BlockDiagonal(parameters, name + ".weight");
            joined[name + ".bias"] = Concatenate(parameters, name + ".bias");
        }

        joined["label.output.weight"] = StackColumnsScaled(parameters, "label.output.weight", 1f / k);
        joined["label.output.bias"] = Mean(parameters, "label.output.bias");
        for (int l = 0; l < spec.DomainHiddenSizes.Count; l++)
        {
            string name = $"domain.hidden.{l}";
            joined[name + ".weight"] = BlockDiagonal(parameters, name + ".weight");
            joined[name + ".bias"] = Concatenate(parameters, name + ".bias");
        }

        joined["domain.output.weight"] = StackColumnsScaled(parameters, "domain.output.weight", 1f / k);
        joined["domain.output.bias"] = Mean(parameters, "domain.output.bias");
        if (spec.DomainInput == DomainHeadInput.MultilinearMap)
        {
            string first = spec.DomainHiddenSizes.Count > 0 ? "domain.hidden.0.weight" : "domain.output.weight";
            joined[first] = ClassMajorColumns(joined[first], k, spec.ClassCount, hidden[^1]);
        }

        var joinedSpec = spec with
        {
            Extractor = new MlpExtractorSpec(hidden.Select(h => h * k).ToArray(), mlp.Dropout),
            DomainHiddenSizes = spec.DomainHiddenSizes.Select(h => h * k).ToArray(),
        };
        var network = new DannNetwork(joinedSpec);
        try
        {
            network.LoadParameters(joined);
            network.Standardizer.Load(members[0].Network.Standardizer.Mean, members[0].Network.Standardizer.Scale);
            return new TrainedModel(network, members[0].ClassNames, record);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>A copy of <paramref name="model"/> whose label head (the output layer) is replaced.</summary>
    /// <param name="model">The network (left as it is; the caller still owns it).</param>
    /// <param name="weight">The new output weights, <c>(classes, features)</c> row-major.</param>
    /// <param name="bias">The new output biases, one per class.</param>
    /// <returns>A new model with the same extractor, domain head, standardisation and training record.</returns>
    internal static TrainedModel WithLabelHead(TrainedModel model, float[] weight, float[] bias)
    {
        var parameters = Parameters(model);
        var shape = parameters["label.output.weight"].Shape;
        if (weight.Length != shape[0] * shape[1] || bias.Length != shape[0])
        {
            throw new ArgumentException($"the label head is ({shape[0]}, {shape[1]}); got {weight.Length} weights and {bias.Length} biases.", nameof(weight));
        }

        parameters["label.output.weight"] = (weight, shape);
        parameters["label.output.bias"] = (bias, [shape[0]]);
        var network = new DannNetwork(model.Spec);
        try
        {
            network.LoadParameters(parameters);
            network.Standardizer.Load(model.Network.Standardizer.Mean, model.Network.Standardizer.Scale);
            return new TrainedModel(network, model.ClassNames, model.Training);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The label head (the output layer): weights <c>(classes, features)</c> row-major and one bias per class.</summary>
    internal static (float[] Weight, float[] Bias) LabelHead(TrainedModel model)
    {
        var parameters = Parameters(model);
        return (parameters["label.output.weight"].Values, parameters["label.output.bias"].Values);
    }

    private static Dictionary<string, (float[] Values, long[] Shape)> Parameters(TrainedModel model)
    {
        using var noGrad = no_grad();
        // In a dispose scope: every temporary (detach()'s result, read by contiguous()) is held until the values are
        // copied, so no finalizer can free a native tensor while a call reads it (see MlpForward.Layer.From).
        using var scope = NewDisposeScope();
        return model.Network.named_parameters().ToDictionary(
            p => p.name,
            p =>
            {
                var c = p.parameter.detach().contiguous();
                return (c.ToHostArray<float>(), c.shape);
            },
            StringComparer.Ordinal);
    }

    /// <summary>Weights <c>(out, in)</c> of every member stacked on top of each other: <c>(K·out, in)</c>.</summary>
    private static (float[], long[]) StackRows(Dictionary<string, (float[] Values, long[] Shape)>[] members, string name)
    {
        var shape = members[0][name].Shape;
        return (members.SelectMany(m => m[name].Values).ToArray(), [shape[0] * members.Length, shape[1]]);
    }

    /// <summary>Weights <c>(out, in)</c> of every member on the diagonal of <c>(K·out, K·in)</c>.</summary>
    private static (float[], long[]) BlockDiagonal(Dictionary<string, (float[] Values, long[] Shape)>[] members, string name)
    {
        int k = members.Length;
        var shape = members[0][name].Shape;
        int rows = (int)shape[0], columns = (int)shape[1], width = columns * k;
        var values = new float[rows * k * width];
        for (int m = 0; m < k; m++)
        {
            var w = members[m][name].Values;
            for (int r = 0; r < rows; r++)
            {
                w.AsSpan(r * columns, columns).CopyTo(values.AsSpan((((m * rows) + r) * width) + (m * columns), columns));
            }
        }

        return (values, [rows * k, width]);
    }

    /// <summary>Weights <c>(out, in)</c> of every member side by side, scaled: <c>(out, K·in)</c>.</summary>
    private static (float[], long[]) StackColumnsScaled(Dictionary<string, (float[] Values, long[] Shape)>[] members, string name, float factor)
    {
        int k = members.Length;
        var shape = members[0][name].Shape;
        int rows = (int)shape[0], columns = (int)shape[1], width = columns * k;
        var values = new float[rows * width];
        for (int m = 0; m < k; m++)
        {
            var w = members[m][name].Values;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    values[(r * width) + (m * columns) + c] = w[(r * columns) + c] * factor;
                }
            }
        }

        return (values, [rows, width]);
    }

    /// <summary>
    /// Columns of a joined first domain layer <c>(out, K·classes·features)</c> laid out member by member
    /// (member k's column <c>c · features + j</c> at <c>k · classes · features + c · features + j</c>)
    /// moved to the joined multilinear map's class-major layout (<c>c · K · features + k · features + j</c>).
    /// </summary>
    private static (float[], long[]) ClassMajorColumns((float[] Values, long[] Shape) weight, int k, int classes, int features)
    {
        int rows = (int)weight.Shape[0], width = (int)weight.Shape[1];
        var values = new float[weight.Values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int m = 0; m < k; m++)
            {
                for (int c = 0; c < classes; c++)
                {
                    weight.Values.AsSpan((r * width) + (((m * classes) + c) * features), features)
                        .CopyTo(values.AsSpan((r * width) + (((c * k) + m) * features), features));
                }
            }
        }

        return (values, weight.Shape);
    }

    private static (float[], long[]) Concatenate(Dictionary<string, (float[] Values, long[] Shape)>[] members, string name) =>
        (members.SelectMany(m => m[name].Values).ToArray(), [members[0][name].Shape[0] * members.Length]);

    private static (float[], long[]) Mean(Dictionary<string, (float[] Values, long[] Shape)>[] members, string name)
    {
        var values = new float[members[0][name].Values.Length];
        foreach (var m in members)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] += m[name].Values[i];
            }
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= members.Length;
        }

        return (values, members[0][name].Shape);
    }
}
