using System.Buffers.Text;
using System.Text;

namespace ChatKit.LoadTest.Protocols;

/// <summary>Just enough JSON for the generator's control path: find a field in compact JSON text without a parser.</summary>
internal static class Json
{
    public static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static string Array(IEnumerable<string> items) => "[" + string.Join(",", items.Select(Quote)) + "]";

    /// <summary>The string value after <paramref name="key"/> (written as <c>"name":"</c>), or null.</summary>
    public static string? StringAfter(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        var i = text.IndexOf(key);
        if (i < 0)
        {
            return null;
        }

        var rest = text[(i + key.Length)..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }

    /// <summary>The integer after <paramref name="key"/> (written as <c>"name":</c>), or null.</summary>
    public static long? LongAfter(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        var i = text.IndexOf(key);
        if (i < 0)
        {
            return null;
        }

        return Utf8Parser.TryParse(text[(i + key.Length)..], out long value, out _) ? value : null;
    }

    public static bool Contains(ReadOnlySpan<byte> text, ReadOnlySpan<byte> part) => text.IndexOf(part) >= 0;
}
