namespace EegDann.Lsl;

/// <summary>
/// Which stream to use: <c>name=NAME</c>, <c>type=TYPE</c> or <c>source_id=ID</c> (a bare word
/// means a name), and optionally more of them joined with <c>;</c> (all must match).
/// </summary>
public sealed record LslStreamSelector
{
    private static readonly string[] Properties = ["name", "type", "source_id"];

    private LslStreamSelector(IReadOnlyList<KeyValuePair<string, string>> terms)
    {
        Terms = terms;
    }

    /// <summary>The property–value pairs, all of which must match.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Terms { get; }

    /// <summary>Selects by name.</summary>
    public static LslStreamSelector ByName(string name) => Parse("name=" + name);

    /// <summary>Parses <c>name=X</c>, <c>type=Y</c>, <c>source_id=Z</c> or <c>name=X;type=Y</c>.</summary>
    /// <exception cref="FormatException">When a term has an unknown property, an empty value or a quote (which liblsl's query cannot carry).</exception>
    public static LslStreamSelector Parse(string text)
    {
        if (!TryParse(text, out var selector, out var problem))
        {
            throw new FormatException(problem);
        }

        return selector!;
    }

    /// <summary>Parses a selector; false with the reason when it is not valid.</summary>
    public static bool TryParse(string? text, out LslStreamSelector? selector, out string? problem)
    {
        selector = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "an LSL stream selector is required (name=NAME, type=TYPE or source_id=ID)";
            return false;
        }

        var terms = new List<KeyValuePair<string, string>>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? "name" : part[..eq].Trim().ToLowerInvariant();
            string value = eq < 0 ? part : part[(eq + 1)..].Trim();
            if (key == "sourceid" || key == "source-id")
            {
                key = "source_id";
            }

            if (!Properties.Contains(key))
            {
                problem = $"'{part}': unknown stream property '{key}' (known: name, type, source_id)";
                return false;
            }

            if (value.Length == 0)
            {
                problem = $"'{part}': the {key} is empty";
                return false;
            }

            if (value.Contains('\'', StringComparison.Ordinal))
            {
                problem = $"'{part}': a value with a quote (') cannot be put in an LSL query";
                return false;
            }

            terms.Add(new(key, value));
        }

        if (terms.Count == 0)
        {
            problem = "an LSL stream selector is required (name=NAME, type=TYPE or source_id=ID)";
            return false;
        }

        selector = new LslStreamSelector(terms);
        return true;
    }

    /// <summary>
    /// The XPath predicate outlets evaluate, as liblsl builds it:
    /// <c>session_id='default' and name='CapF32'</c>.
    /// </summary>
    public string ToQuery(string sessionId) =>
        $"session_id='{sessionId}'" + string.Concat(Terms.Select(t => $" and {t.Key}='{t.Value}'"));

    /// <summary>Whether a stream's information matches (the resolver double-checks replies).</summary>
    public bool Matches(LslStreamInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Terms.All(t => t.Key switch
        {
            "name" => info.Name == t.Value,
            "type" => info.Type == t.Value,
            "source_id" => info.SourceId == t.Value,
            _ => false,
        });
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(';', Terms.Select(t => $"{t.Key}={t.Value}"));
}
