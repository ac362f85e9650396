using System.Reflection;

namespace EegDann.Core;

/// <summary>The version of EegDann, as written into recordings, model files and reports.</summary>
public static class EegDannVersion
{
    /// <summary>The informational version of this build, e.g. <c>0.1.0+abc123</c>.</summary>
    public static string Current { get; } =
        typeof(EegDannVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(EegDannVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
