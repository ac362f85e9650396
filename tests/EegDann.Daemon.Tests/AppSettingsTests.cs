using System.Reflection;
using System.Text.Json;
using EegDann.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Tests;

/// <summary>The repository's appsettings.json (the tool's default settings) lists every setting the daemon reads, and nothing else.</summary>
public sealed class AppSettingsTests
{
    private static readonly Lazy<JsonDocument> Json = new(() => JsonDocument.Parse(File.ReadAllText(AppSettingsPath)));

    private static string AppSettingsPath => Path.Combine(TestData.RepositoryRoot, "appsettings.json");

    /// <summary>Every options class the daemon binds: the public types with a <c>SectionName</c> constant in the daemon's assembly and in EegDann.Lsl (the top-level <c>Lsl</c> section).</summary>
    public static TheoryData<string> OptionsClasses() => new(OptionsTypes().Select(t => t.Name));

    private static IEnumerable<Type> OptionsTypes() =>
        new[] { typeof(DaemonHost).Assembly, typeof(EegDann.Lsl.LslOptions).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static Type OptionsType(string name) => OptionsTypes().Single(t => t.Name == name);

    private static string SectionOf(Type type) => (string)type.GetField("SectionName")!.GetRawConstantValue()!;

    private static IEnumerable<PropertyInfo> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic);

    [Fact]
    public void TheDaemonHasFifteenOptionsClassesAndBindsEachFromConfiguration()
    {
        var services = new ServiceCollection().AddEegDannDaemon();

        Assert.Equal(15, OptionsTypes().Count());
        foreach (var type in OptionsTypes())
        {
            var configure = typeof(IConfigureOptions<>).MakeGenericType(type);
            Assert.True(services.Any(s => s.ServiceType == configure), $"{type.Name} ({SectionOf(type)}) is not bound by AddEegDannDaemon");
        }
    }

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public void AppSettingsNamesEverySettingOfTheSectionAndNoOther(string name)
    {
        var type = OptionsType(name);
        string section = SectionOf(type);
        var element = Json.Value.RootElement;
        foreach (string part in section.Split(':'))
        {
            Assert.True(element.TryGetProperty(part, out element), $"appsettings.json has no section {section}");
        }

        var inJson = element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        var inCode = Settings(type).Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.True(inCode.SequenceEqual(inJson), $"{section}: the code reads [{string.Join(", ", inCode)}], appsettings.json lists [{string.Join(", ", inJson)}]");
    }

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public void EveryValueInAppSettingsBindsToItsSetting(string name)
    {
        var type = OptionsType(name);
        var configuration = new ConfigurationBuilder().AddJsonFile(AppSettingsPath).Build();
        object options = Activator.CreateInstance(type)!;

        configuration.GetSection(SectionOf(type)).Bind(options, o => o.ErrorOnUnknownConfiguration = true);

        // Each JSON value reads back from the bound property: a misspelt name fails the bind, a value of the wrong type here.
        var element = Json.Value.RootElement;
        foreach (string part in SectionOf(type).Split(':'))
        {
            element = element.GetProperty(part);
        }

        foreach (var property in Settings(type))
        {
            var json = element.GetProperty(property.Name);
            object? value = property.GetValue(options);
            switch (json.ValueKind)
            {
                case JsonValueKind.String when json.GetString() is "" && (value is null || value is ""):
                    break;
                case JsonValueKind.String:
                    Assert.Equal(json.GetString(), Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case JsonValueKind.Number:
                    Assert.Equal(json.GetDouble(), Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    Assert.Equal(json.GetBoolean(), value);
                    break;
                case JsonValueKind.Array:
                    Assert.Equal(json.EnumerateArray().Select(e => e.GetString()), (IEnumerable<string>)value!);
                    break;
                default:
                    Assert.Fail($"{SectionOf(type)}:{property.Name}: unexpected JSON {json.ValueKind}");
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public void EverySettingIsDocumentedOnAPageOfDocs(string name)
    {
        // docs/settings.md is the table of sections; a section's details may live on the page it links
        // (the live console in daemon.md, the Lsl section in protocols.md): every setting is named somewhere.
        var type = OptionsType(name);
        string docs = string.Concat(Directory.GetFiles(Path.Combine(TestData.RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal).Select(File.ReadAllText));

        var missing = Settings(type).Select(p => p.Name).Where(p => !docs.Contains($"`{p}`", StringComparison.Ordinal)).ToArray();

        Assert.True(missing.Length == 0, $"{SectionOf(type)}: no page of docs/ names [{string.Join(", ", missing)}]");
    }
}
