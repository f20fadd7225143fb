using System.Globalization;

namespace ChatKit.LoadTest.Cli;

/// <summary>A small "--name value" / "--flag" parser; unknown names are kept so that they can be validated once.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public CommandLine(IReadOnlyList<string> args)
    {
        Raw = args;
        var i = 0;
        if (args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Command = args[0];
            i = 1;
        }

        for (; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{a}'. Options are written --name value.");
            }

            var name = a[2..];
            string value;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                value = "true";
            }

            if (!_values.TryGetValue(name, out var list))
            {
                _values[name] = list = [];
            }

            list.Add(value);
        }
    }

    public string Command { get; } = "help";

    public IReadOnlyList<string> Raw { get; }

    public string? Get(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var list) ? list[^1] : null;
    }

    public IReadOnlyList<string> GetAll(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var list) ? list : [];
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public int Get(string name, int fallback)
        => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Get(string name, double fallback)
        => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => Get(name) is { } v && v != "false";

    /// <summary>Throws on options nobody asked for: a typo must not silently run the wrong benchmark.</summary>
    public void ThrowOnUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("Unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)) + ". Run 'help' for the list.");
        }
    }
}
