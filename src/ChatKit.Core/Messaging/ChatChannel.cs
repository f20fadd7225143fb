namespace ChatKit.Messaging;

/// <summary>A channel's identity and membership as a store returns it (a snapshot).</summary>
/// <param name="Id">The channel id (see <see cref="ChannelIds"/>).</param>
/// <param name="Kind">Direct or group.</param>
/// <param name="Name">The group's name; <see langword="null"/> for a direct channel.</param>
/// <param name="Owner">The group's owner; <see langword="null"/> for a direct channel.</param>
/// <param name="Members">The member user ids, in the order they joined.</param>
/// <param name="LastSeq">The newest <c>channelSeq</c> (0 when empty).</param>
/// <param name="CreatedAt">When the channel was created.</param>
/// <param name="LastActivityAt">When the newest message was committed, or <paramref name="CreatedAt"/>.</param>
public sealed record ChatChannel(
    string Id,
    ChannelKind Kind,
    string? Name,
    string? Owner,
    IReadOnlyList<string> Members,
    long LastSeq,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActivityAt)
{
    /// <summary>Whether <paramref name="user"/> is a member.</summary>
    /// <param name="user">A user id.</param>
    public bool HasMember(string user)
    {
        foreach (string m in Members)
        {
            if (string.Equals(m, user, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
