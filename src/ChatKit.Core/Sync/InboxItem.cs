using ChatKit.Messaging;
using ChatKit.Protocol;

namespace ChatKit.Sync;

/// <summary>
/// The content of an inbox entry, without its per-user <c>seq</c>. One item is shared by every inbox it is
/// appended to (a group message is one item in 100 inboxes), and so are its serialized bytes.
/// </summary>
public sealed class InboxItem
{
    private byte[]? _tail;

    private InboxItem(InboxEntryKind kind, string channelId, ChatMessage? message, long upTo, string? user, bool added, string? by, DateTimeOffset createdAt)
    {
        Kind = kind;
        ChannelId = channelId;
        Message = message;
        UpTo = upTo;
        User = user;
        Added = added;
        By = by;
        CreatedAt = createdAt;
    }

    /// <summary>What the entry records.</summary>
    public InboxEntryKind Kind { get; }

    /// <summary>The channel the entry is about.</summary>
    public string ChannelId { get; }

    /// <summary>For <see cref="InboxEntryKind.Message"/>: the message.</summary>
    public ChatMessage? Message { get; }

    /// <summary>For <see cref="InboxEntryKind.Read"/>: the read mark.</summary>
    public long UpTo { get; }

    /// <summary>For <see cref="InboxEntryKind.Member"/>: the user added or removed.</summary>
    public string? User { get; }

    /// <summary>For <see cref="InboxEntryKind.Member"/>: added (<see langword="true"/>) or removed.</summary>
    public bool Added { get; }

    /// <summary>For <see cref="InboxEntryKind.Member"/>: who made the change.</summary>
    public string? By { get; }

    /// <summary>When the entry was appended (for age-based retention).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>A <c>message</c> item.</summary>
    /// <param name="message">The message.</param>
    public static InboxItem ForMessage(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(InboxEntryKind.Message, message.ChannelId, message, 0, null, false, null, message.SentAt);
    }

    /// <summary>A <c>read</c> item.</summary>
    /// <param name="channelId">The channel.</param>
    /// <param name="upTo">The read mark.</param>
    /// <param name="createdAt">When.</param>
    public static InboxItem ForRead(string channelId, long upTo, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return new(InboxEntryKind.Read, channelId, null, upTo, null, false, null, createdAt);
    }

    /// <summary>A <c>member</c> item.</summary>
    /// <param name="channelId">The group.</param>
    /// <param name="user">The user added or removed.</param>
    /// <param name="added">Added or removed.</param>
    /// <param name="by">Who made the change.</param>
    /// <param name="createdAt">When.</param>
    public static InboxItem ForMember(string channelId, string user, bool added, string by, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(by);
        return new(InboxEntryKind.Member, channelId, null, 0, user, added, by, createdAt);
    }

    /// <summary>
    /// An item rebuilt from its serialized tail, as a bus brings it from another node: enough to deliver it live;
    /// <see cref="Message"/>, <see cref="User"/> and <see cref="By"/> are not restored.
    /// </summary>
    /// <param name="kind">The kind.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="entryTail">Bytes from <see cref="GetEntryTail"/> on the other node.</param>
    /// <param name="createdAt">When the entry was appended.</param>
    public static InboxItem FromSerialized(InboxEntryKind kind, string channelId, ReadOnlyMemory<byte> entryTail, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        return new(kind, channelId, null, 0, null, false, null, createdAt) { _tail = entryTail.ToArray() };
    }

    /// <summary>
    /// The serialized entry after its <c>seq</c> (see <see cref="ServerFrameWriter.WriteEntryPrefix"/>): computed
    /// once and shared by every inbox the item is in.
    /// </summary>
    public ReadOnlyMemory<byte> GetEntryTail()
    {
        if (_tail is { } tail)
        {
            return tail;
        }

        byte[] encoded = Kind switch
        {
            InboxEntryKind.Message => Message!.GetEntryTail(),
            InboxEntryKind.Read => ServerFrameWriter.ReadEntryTail(ChannelId, UpTo),
            _ => ServerFrameWriter.MemberEntryTail(ChannelId, User!, Added, By!),
        };
        _tail = encoded;
        return encoded;
    }
}
