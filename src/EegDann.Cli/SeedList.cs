namespace EegDann.Cli;

/// <summary>Seed lists on the command line: <c>0,1,2</c>, <c>0-4</c> or a mix.</summary>
public static class SeedList
{
    /// <summary>Parses a list of seeds and ranges.</summary>
    /// <exception cref="FormatException">When a part is neither a seed nor a range, or nothing is given.</exception>
    public static IReadOnlyList<int> Parse(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length == 2 && int.TryParse(range[0], out int a) && int.TryParse(range[1], out int b) && a <= b && b - a < 1000)
            {
                list.AddRange(Enumerable.Range(a, b - a + 1));
            }
            else if (int.TryParse(part, out int single))
            {
                list.Add(single);
            }
            else
            {
                throw new FormatException($"'{part}' is neither a seed nor a range like 0-4");
            }
        }

        return list.Count > 0 ? list.Distinct().ToArray() : throw new FormatException("no seeds given");
    }
}
