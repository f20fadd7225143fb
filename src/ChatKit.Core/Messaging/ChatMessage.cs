using System.Text;
using ChatKit.Protocol;

namespace ChatKit.Messaging;

/// <summary>A committed message: immutable once it has a <see cref="ChannelSeq"/>.</summary>
public sealed class ChatMessage
{
    // The message's entry tail (ServerFrameWriter.MessageEntryTail), whose middle is the message object: one encoding
    // serves live delivery, replies and history.
    private byte[]? _entryTail;

    /// <summary>Creates a message as a store read it back or committed it.</summary>
    /// <param name="id">The 64-bit id.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="channelSeq">The gap-free position in the channel.</param>
    /// <param name="from">The sender's user id.</param>
    /// <param name="device">The sender's device.</param>
    /// <param name="body">The text.</param>
    /// <param name="metaJson">The host's JSON object, or <see langword="null"/>.</param>
    /// <param name="clientMsgId">The sender's idempotency key.</param>
    /// <param name="sentAt">The server's clock at commit.</param>
    public ChatMessage(long id, string channelId, long channelSeq, string from, string device, string body,
        string? metaJson, string clientMsgId, DateTimeOffset sentAt)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(clientMsgId);
        Id = id;
        ChannelId = channelId;
        ChannelSeq = channelSeq;
        From = from;
        Device = device;
        Body = body;
        MetaJson = metaJson;
        ClientMsgId = clientMsgId;
        SentAt = sentAt;
    }

    /// <summary>The 64-bit time-ordered id, unique across nodes.</summary>
    public long Id { get; }

    /// <summary>The channel.</summary>
    public string ChannelId { get; }

    /// <summary>The position in the channel: 1, 2, 3, … with no gaps.</summary>
    public long ChannelSeq { get; }

    /// <summary>The sender's user id.</summary>
    public string From { get; }

    /// <summary>The sender's device.</summary>
    public string Device { get; }

    /// <summary>The text.</summary>
    public string Body { get; }

    /// <summary>The host's JSON object, as text, or <see langword="null"/>.</summary>
    public string? MetaJson { get; }

    /// <summary>The sender's idempotency key.</summary>
    public string ClientMsgId { get; }

    /// <summary>The server's clock at commit.</summary>
    public DateTimeOffset SentAt { get; }

    /// <summary>
    /// The message object as UTF-8 JSON (PROTOCOL.md section 3), serialized on first use and then shared by every
    /// recipient, reply and history page.
    /// </summary>
    public ReadOnlyMemory<byte> GetUtf8Json() => ServerFrameWriter.MessageObjectOf(GetEntryTail());

    /// <summary>
    /// The tail of this message's inbox entry (<c>,"kind":"message","message":{...}}</c>), encoded on first use and
    /// cached like <see cref="GetUtf8Json"/>, which is a part of it.
    /// </summary>
    internal byte[] GetEntryTail()
    {
        if (_entryTail is { } tail)
        {
            return tail;
        }

        // Benign race: two threads may both serialize; both results are equal.
        byte[] encoded = ServerFrameWriter.MessageEntryTail(new MessageFields(
            Id, ChannelId, ChannelSeq, From, Device, Body,
            MetaJson is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(MetaJson),
            ClientMsgId, SentAt.ToUnixTimeMilliseconds()));
        _entryTail = encoded;
        return encoded;
    }

    /// <inheritdoc />
    public override string ToString() => $"{ChannelId}#{ChannelSeq} ({Id})";
}
