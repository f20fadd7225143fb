using System.Globalization;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>Builds and parses the compound string keys of <see cref="LiteDbCollections"/>.</summary>
internal static class LiteDbKeys
{
    public const char Separator = '|';

    /// <summary><c>PREFIX|SEQ</c>, the sequence as 16 lowercase hex digits so that ordinal order is numeric order.</summary>
    public static string Sequenced(string prefix, long seq) =>
        string.Create(prefix.Length + 17, (prefix, seq), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            span[state.prefix.Length] = Separator;
            state.seq.TryFormat(span[(state.prefix.Length + 1)..], out _, "x16", CultureInfo.InvariantCulture);
        });

    /// <summary>The smallest key of <paramref name="prefix"/>'s range.</summary>
    public static string RangeStart(string prefix) => Sequenced(prefix, 0);

    /// <summary>The largest key of <paramref name="prefix"/>'s range.</summary>
    public static string RangeEnd(string prefix) => Sequenced(prefix, long.MaxValue);

    /// <summary>Splits <c>PREFIX|SEQ</c>.</summary>
    public static (string Prefix, long Seq) ParseSequenced(string key)
    {
        int bar = key.Length - 17;
        return (key[..bar], long.Parse(key.AsSpan(bar + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
    }

    /// <summary>Joins parts with <see cref="Separator"/>.</summary>
    public static string Join(string a, string b) => string.Concat(a, "|", b);

    /// <summary>Joins parts with <see cref="Separator"/>.</summary>
    public static string Join(string a, string b, string c) => string.Concat(a, "|", b, "|", c);

    /// <summary>The first key that starts with <c>PREFIX|</c>.</summary>
    public static string PrefixStart(string prefix) => prefix + "|";

    /// <summary>
    /// <c>_id</c> between two keys (inclusive). Parameterized, because LiteDB's <c>Query.Between</c> writes the values
    /// into the expression's text, and every new text is parsed and compiled to a delegate again (it was most of the
    /// writer's time).
    /// </summary>
    public static BsonExpression IdBetween(string from, string to) => BsonExpression.Create("$._id BETWEEN @0 AND @1", from, to);

    /// <summary>A key after every key that starts with <c>PREFIX|</c> (ids are ASCII).</summary>
    public static string PrefixEnd(string prefix) => prefix + "|\uffff";
}
