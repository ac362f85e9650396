using EegDann.Pipelines.Definitions;

namespace EegDann.Pipelines.Steps;

/// <summary>What the registry needs of a step class: its name, description and parameter keys, and how to read the parameters.</summary>
/// <typeparam name="TSelf">The step class.</typeparam>
public interface IStepType<TSelf>
    where TSelf : IStepType<TSelf>
{
    /// <summary>The step type's name in pipeline files (e.g. <c>csp</c>), description and parameter keys.</summary>
    static abstract StepTypeInfo Info { get; }

    /// <summary>Reads the step's parameters (problems are recorded in <paramref name="parameters"/>, naming the key).</summary>
    static abstract TSelf Parse(JsonSection parameters);
}

/// <summary>A step type as the registry lists it.</summary>
/// <param name="Name">The type name in pipeline files, e.g. <c>csp</c>.</param>
/// <param name="Description">One line for help texts.</param>
/// <param name="ParameterKeys">Every parameter key the step reads.</param>
public sealed record StepTypeInfo(string Name, string Description, IReadOnlyList<string> ParameterKeys);

/// <summary>One problem of a step's parameters.</summary>
/// <param name="Key">The parameter key it is about, or null for the step as a whole.</param>
/// <param name="Message">What is wrong.</param>
public readonly record struct StepProblem(string? Key, string Message)
{
    /// <summary>The problem as a line of a pipeline error, prefixed with where the step is (e.g. <c>step 3 'csp'</c>).</summary>
    public string Format(string where) => Key is null ? $"{where}: {Message}" : $"{where}: '{Key}' {Message}";
}
