using System.Globalization;
using System.Text.Json;

namespace EegDann.Pipelines.Definitions;

/// <summary>
/// Strict reading of one JSON object of a pipeline file (a section or a step's parameters): typed
/// getters with defaults that record problems instead of throwing, and a final check that names
/// every key nobody asked for. Problems are prefixed with where they are (e.g. <c>step 2 'bandpass'</c>).
/// </summary>
public sealed class JsonSection
{
    private readonly JsonElement _element;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly List<string> _problems;

    /// <summary>Wraps <paramref name="element"/> (must be an object; otherwise a problem is recorded).</summary>
    /// <param name="element">The JSON value.</param>
    /// <param name="where">Where it is, for messages.</param>
    /// <param name="problems">Where problems are collected.</param>
    public JsonSection(JsonElement element, string where, List<string> problems)
    {
        _element = element;
        Where = where;
        _problems = problems;
        IsObject = element.ValueKind == JsonValueKind.Object;
        if (!IsObject)
        {
            problems.Add($"{where}: must be a JSON object, got {Describe(element)}");
        }
    }

    /// <summary>Where this object is.</summary>
    public string Where { get; }

    /// <summary>Whether the value is a JSON object.</summary>
    public bool IsObject { get; }

    /// <summary>Whether the key is present.</summary>
    public bool Has(string key) => IsObject && _element.TryGetProperty(key, out _);

    /// <summary>A required or optional number; records a problem when missing (no default) or not a finite number.</summary>
    public double Number(string key, double? defaultValue = null, double? min = null, double? max = null, bool minExclusive = false)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (a number)");
                return double.NaN;
            }

            return defaultValue.Value;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double d) || !double.IsFinite(d))
        {
            Problem(key, $"must be a number, got {Describe(value)}");
            return double.NaN;
        }

        if (min is not null && (minExclusive ? d <= min : d < min))
        {
            Problem(key, $"must be {(minExclusive ? ">" : "≥")} {Format(min.Value)}, got {Format(d)}");
        }

        if (max is not null && d > max)
        {
            Problem(key, $"must be ≤ {Format(max.Value)}, got {Format(d)}");
        }

        return d;
    }

    /// <summary>A required or optional integer.</summary>
    public int Integer(string key, int? defaultValue = null, int? min = null, int? max = null)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (an integer)");
                return 0;
            }

            return defaultValue.Value;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int i))
        {
            Problem(key, $"must be an integer, got {Describe(value)}");
            return 0;
        }

        if (min is not null && i < min)
        {
            Problem(key, $"must be ≥ {min}, got {i}");
        }

        if (max is not null && i > max)
        {
            Problem(key, $"must be ≤ {max}, got {i}");
        }

        return i;
    }

    /// <summary>A required or optional boolean.</summary>
    public bool Boolean(string key, bool? defaultValue = null)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (true or false)");
                return false;
            }

            return defaultValue.Value;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Problem(key, $"must be true or false, got {Describe(value)}");
            return false;
        }

        return value.GetBoolean();
    }

    /// <summary>A required or optional string; with <paramref name="allowed"/>, one of those values.</summary>
    public string Text(string key, string? defaultValue = null, IReadOnlyList<string>? allowed = null)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (a string)");
                return string.Empty;
            }

            return defaultValue;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            Problem(key, $"must be a non-empty string, got {Describe(value)}");
            return string.Empty;
        }

        string s = value.GetString()!;
        if (allowed != null && !allowed.Contains(s, StringComparer.Ordinal))
        {
            Problem(key, $"must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{s}\"");
        }

        return s;
    }

    /// <summary>A list of strings (required unless a default is given).</summary>
    public IReadOnlyList<string> TextList(string key, IReadOnlyList<string>? defaultValue = null, bool nonEmpty = false)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (a list of strings)");
                return [];
            }

            return defaultValue;
        }

        if (!IsListOf(key, value, "non-empty strings", e => e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())))
        {
            return [];
        }

        var list = value.EnumerateArray().Select(e => e.GetString()!).ToArray();
        if (nonEmpty && list.Length == 0)
        {
            Problem(key, "must not be empty");
        }

        return list;
    }

    /// <summary>A list of integers (required unless a default is given).</summary>
    public IReadOnlyList<int> IntegerList(string key, IReadOnlyList<int>? defaultValue = null, int min = int.MinValue, bool nonEmpty = false, int max = int.MaxValue)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Problem(key, "is required (a list of integers)");
                return [];
            }

            return defaultValue;
        }

        if (!IsListOf(key, value, "integers", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
        {
            return [];
        }

        var list = value.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        if (nonEmpty && list.Length == 0)
        {
            Problem(key, "must not be empty");
        }

        if (list.Any(i => i < min))
        {
            Problem(key, $"every value must be ≥ {min}");
        }

        if (list.Any(i => i > max))
        {
            Problem(key, $"every value must be ≤ {max}, got {list.Max()}");
        }

        return list;
    }

    /// <summary>A list of [low, high] pairs of numbers.</summary>
    public IReadOnlyList<(double Low, double High)> PairList(string key)
    {
        if (!TryGet(key, out var value))
        {
            Problem(key, "is required (a list of [low, high] pairs)");
            return [];
        }

        var pairs = new List<(double, double)>();
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2
                    && item[0].ValueKind == JsonValueKind.Number && item[1].ValueKind == JsonValueKind.Number)
                {
                    pairs.Add((item[0].GetDouble(), item[1].GetDouble()));
                }
                else
                {
                    Problem(key, $"every entry must be a pair [low, high] of numbers, got {Describe(item)}");
                    return [];
                }
            }
        }
        else
        {
            Problem(key, $"must be a list of [low, high] pairs, got {Describe(value)}");
        }

        if (pairs.Count == 0 && value.ValueKind == JsonValueKind.Array)
        {
            Problem(key, "must not be empty");
        }

        return pairs;
    }

    /// <summary>A nested object (required unless <paramref name="optional"/>); null when absent or not an object.</summary>
    public JsonSection? Section(string key, bool optional = false)
    {
        if (!TryGet(key, out var value))
        {
            if (!optional)
            {
                Problem(key, "is required (an object)");
            }

            return null;
        }

        var section = new JsonSection(value, $"{Where}.{key}", _problems);
        return section.IsObject ? section : null;
    }

    /// <summary>The raw value of a key (marks it as read), or null.</summary>
    public JsonElement? Raw(string key) => TryGet(key, out var value) ? value : null;

    /// <summary>Every key of the object, in order.</summary>
    public IEnumerable<string> Keys => IsObject ? _element.EnumerateObject().Select(p => p.Name) : [];

    /// <summary>Records a problem about <paramref name="key"/>.</summary>
    public void Problem(string key, string message) => _problems.Add($"{Where}: '{key}' {message}");

    /// <summary>Records a problem about the object as a whole.</summary>
    public void Problem(string message) => _problems.Add($"{Where}: {message}");

    /// <summary>Records a problem for every key that was never read, listing the known ones.</summary>
    /// <param name="known">Every key this object may hold (for the message).</param>
    public void RejectUnknown(IReadOnlyCollection<string> known)
    {
        if (!IsObject)
        {
            return;
        }

        foreach (var property in _element.EnumerateObject())
        {
            if (!_read.Contains(property.Name) && !known.Contains(property.Name))
            {
                _problems.Add($"{Where}: unknown parameter '{property.Name}'" + (known.Count == 0 ? " (it takes none)" : $" (known: {string.Join(", ", known)})"));
            }
        }
    }

    private bool TryGet(string key, out JsonElement value)
    {
        _read.Add(key);
        if (IsObject && _element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The longest piece of a file's own text quoted in a message.</summary>
    private const int MaxQuoted = 40;

    /// <summary>Whether <paramref name="value"/> is a list whose every entry is <paramref name="ok"/>; if not, the problem names the first entry that is not (a list is not described as "a list").</summary>
    private bool IsListOf(string key, JsonElement value, string what, Func<JsonElement, bool> ok)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            Problem(key, $"must be a list of {what}, got {Describe(value)}");
            return false;
        }

        int bad = value.EnumerateArray().TakeWhile(ok).Count();
        if (bad < value.GetArrayLength())
        {
            Problem(key, $"must be a list of {what}, entry {(bad + 1).ToString(CultureInfo.InvariantCulture)} is {Describe(value[bad])}");
            return false;
        }

        return true;
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"\"{Shorten(e.GetString() ?? string.Empty)}\"",
        JsonValueKind.Number => Shorten(e.GetRawText()),
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => e.ValueKind.ToString(),
    };

    private static string Format(double d) => d.ToString("G", CultureInfo.InvariantCulture);

    /// <summary>A value from the file as quoted in a message: whole when short, else its start and its length (a file may hold megabytes of digits).</summary>
    private static string Shorten(string text) =>
        text.Length <= MaxQuoted ? text : $"{text[..MaxQuoted]}… ({text.Length.ToString(CultureInfo.InvariantCulture)} characters)";
}
