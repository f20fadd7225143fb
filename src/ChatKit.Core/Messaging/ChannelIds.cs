using System.Globalization;
using ChatKit.Protocol;

namespace ChatKit.Messaging;

/// <summary>
/// Channel ids. A direct channel's id is derived from its two users, <c>d:LOW:HIGH</c> in ordinal order, so both
/// users reach the same channel without a lookup; user ids cannot contain <c>:</c>, so the id is unambiguous.
/// A group's id is <c>g-</c> and a snowflake id.
/// </summary>
public static class ChannelIds
{
    private const string DirectPrefix = "d:";
    private const string GroupPrefix = "g-";

    /// <summary>The id of the direct channel between two users.</summary>
    /// <param name="a">One user.</param>
    /// <param name="b">The other user (may equal <paramref name="a"/>).</param>
    public static string Direct(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.CompareOrdinal(a, b) <= 0 ? $"{DirectPrefix}{a}:{b}" : $"{DirectPrefix}{b}:{a}";
    }

    /// <summary>The id of a group.</summary>
    /// <param name="id">A snowflake id.</param>
    public static string Group(long id) => GroupPrefix + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="channelId"/> is well formed.</summary>
    /// <param name="channelId">A candidate.</param>
    public static bool IsValid(string? channelId) =>
        channelId is not null && (TryParseDirect(channelId, out _, out _) || IsGroup(channelId));

    /// <summary>Splits a direct channel id into its two users.</summary>
    /// <param name="channelId">The channel id.</param>
    /// <param name="low">The user that sorts first.</param>
    /// <param name="high">The other user.</param>
    public static bool TryParseDirect(string channelId, out string low, out string high)
    {
        low = high = "";
        if (channelId is null || !channelId.StartsWith(DirectPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        int colon = channelId.IndexOf(':', DirectPrefix.Length);
        if (colon < 0)
        {
            return false;
        }

        string a = channelId[DirectPrefix.Length..colon];
        string b = channelId[(colon + 1)..];
        if (!ProtocolLimits.IsValidUserId(a) || !ProtocolLimits.IsValidUserId(b) || string.CompareOrdinal(a, b) > 0)
        {
            return false;
        }

        low = a;
        high = b;
        return true;
    }

    /// <summary>Whether <paramref name="channelId"/> names a group.</summary>
    /// <param name="channelId">A candidate.</param>
    public static bool IsGroup(string channelId) =>
        channelId is not null
        && channelId.Length is > 2 and <= 22
        && channelId.StartsWith(GroupPrefix, StringComparison.Ordinal)
        && channelId.AsSpan(2).IndexOfAnyExceptInRange('0', '9') < 0;
}
