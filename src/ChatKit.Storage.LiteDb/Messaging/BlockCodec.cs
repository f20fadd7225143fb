using System.Buffers;
using System.Text;
using ChatKit.Messaging;
using ChatKit.Sync;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// The binary form of history and inbox entries inside a block document. A block stores its entries as one byte
/// array, not as BSON sub-documents: appending is a copy, and encoding and decoding cost a fraction of LiteDB's
/// document serialization, which was a third of the writer's time.
/// </summary>
/// <remarks>
/// Every entry is self-delimiting: integers as unsigned LEB128 varints, strings as a varint byte length and UTF-8.
/// A message: id, sender, device, clientMsgId, sent-at (Unix ms), flags (1 deleted, 2 has meta), then body and meta
/// unless deleted. An inbox entry: a head byte (the kind; 0x80 when its channel is the previous entry's, 0x40 when its
/// created-at is stored as the zigzag difference from the previous entry's), the channel unless the same, the
/// created-at (Unix ms), then <c>channelSeq</c> (message, read) or user, added and actor (member). An entry refers
/// back only to the entry before it in the same run: a materialization appends a run to a block, and the first entry
/// of a run stands alone (both bits clear, which is the only form layout versions up to 5 wrote, so their blocks read
/// unchanged). So a 1:1 user's inbox entry, whose channel is nearly always the previous one's, takes about 4 bytes
/// instead of the channel id's length plus 8.
/// </remarks>
internal static class BlockCodec
{
    private const byte Deleted = 1;
    private const byte HasMeta = 2;

    // An inbox entry's first byte: its kind in the low bits, and whether it refers back to the entry before it.
    private const byte KindMask = 0x0F;
    private const byte AtDelta = 0x40;
    private const byte SameChannel = 0x80;

    /// <summary>Appends <paramref name="message"/> to <paramref name="writer"/>.</summary>
    public static void WriteMessage(ArrayBufferWriter<byte> writer, ChatMessage message, bool deleted)
    {
        WriteVarint(writer, (ulong)message.Id);
        WriteString(writer, message.From);
        WriteString(writer, message.Device);
        WriteString(writer, message.ClientMsgId);
        WriteVarint(writer, (ulong)message.SentAt.ToUnixTimeMilliseconds());
        byte flags = (byte)((deleted ? Deleted : 0) | (!deleted && message.MetaJson is not null ? HasMeta : 0));
        writer.GetSpan(1)[0] = flags;
        writer.Advance(1);
        if (!deleted)
        {
            WriteString(writer, message.Body);
            if (message.MetaJson is not null)
            {
                WriteString(writer, message.MetaJson);
            }
        }
    }

    /// <summary>
    /// Reads the message at <paramref name="offset"/> and moves past it. <paramref name="exactSentAt"/>, when given,
    /// replaces the stored sent-at, which is in whole milliseconds.
    /// </summary>
    public static ChatMessage ReadMessage(ReadOnlySpan<byte> data, ref int offset, string channelId, long channelSeq, out bool deleted,
        DateTimeOffset? exactSentAt = null)
    {
        long id = (long)ReadVarint(data, ref offset);
        string from = ReadString(data, ref offset);
        string device = ReadString(data, ref offset);
        string clientMsgId = ReadString(data, ref offset);
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds((long)ReadVarint(data, ref offset));
        sentAt = exactSentAt ?? sentAt;
        byte flags = data[offset++];
        deleted = (flags & Deleted) != 0;
        string body = deleted ? "" : ReadString(data, ref offset);
        string? meta = (flags & HasMeta) != 0 ? ReadString(data, ref offset) : null;
        return new ChatMessage(id, channelId, channelSeq, from, device, body, meta, clientMsgId, sentAt);
    }

    /// <summary>
    /// Whether the message at <paramref name="offset"/> has this sender and client message id (both UTF-8), without
    /// decoding it.
    /// </summary>
    public static bool HasDedupeKey(ReadOnlySpan<byte> data, int offset, ReadOnlySpan<byte> from, ReadOnlySpan<byte> clientMsgId)
    {
        ReadVarint(data, ref offset);
        bool sameSender = StringBytes(data, ref offset).SequenceEqual(from);
        SkipString(data, ref offset);
        return sameSender && StringBytes(data, ref offset).SequenceEqual(clientMsgId);
    }

    /// <summary>
    /// Appends an inbox entry; a message entry references the message by (channel, <c>channelSeq</c>). With a
    /// <paramref name="previous"/> entry in the same run, the channel (when the same) and the created-at (as a
    /// difference) refer back to it; a run's first entry (<paramref name="previous"/> at its default) stands alone.
    /// </summary>
    public static void WriteInboxEntry(ArrayBufferWriter<byte> writer, InboxItem item, ref InboxLink previous)
    {
        long at = item.CreatedAt.ToUnixTimeMilliseconds();
        WriteInboxHead(writer, item.Kind, item.ChannelId, at, ref previous);
        switch (item.Kind)
        {
            case InboxEntryKind.Message:
                WriteVarint(writer, (ulong)item.Message!.ChannelSeq);
                break;
            case InboxEntryKind.Read:
                WriteVarint(writer, (ulong)item.UpTo);
                break;
            default:
                WriteString(writer, item.User!);
                writer.GetSpan(1)[0] = item.Added ? (byte)1 : (byte)0;
                writer.Advance(1);
                WriteString(writer, item.By!);
                break;
        }
    }

    /// <summary>
    /// Appends a message entry from its parts, as <see cref="WriteInboxEntry(ArrayBufferWriter{byte}, InboxItem, ref InboxLink)"/>
    /// writes one for <see cref="InboxItem.ForMessage"/>: <paramref name="createdAt"/> is the message's sent-at.
    /// </summary>
    public static void WriteMessageEntry(ArrayBufferWriter<byte> writer, string channelId, long channelSeq, DateTimeOffset createdAt, ref InboxLink previous)
    {
        WriteInboxHead(writer, InboxEntryKind.Message, channelId, createdAt.ToUnixTimeMilliseconds(), ref previous);
        WriteVarint(writer, (ulong)channelSeq);
    }

    /// <summary>An inbox entry's head byte, channel (unless the previous entry's) and created-at; sets <paramref name="previous"/> to it.</summary>
    private static void WriteInboxHead(ArrayBufferWriter<byte> writer, InboxEntryKind kind, string channelId, long at, ref InboxLink previous)
    {
        bool sameChannel = previous.HasPrevious && string.Equals(previous.Channel, channelId, StringComparison.Ordinal);
        writer.GetSpan(1)[0] = (byte)((byte)kind | (sameChannel ? SameChannel : 0) | (previous.HasPrevious ? AtDelta : 0));
        writer.Advance(1);
        if (!sameChannel)
        {
            WriteString(writer, channelId);
        }

        WriteVarint(writer, previous.HasPrevious ? ZigZag(at - previous.At) : (ulong)at);
        previous = new InboxLink { HasPrevious = true, Channel = channelId, At = at };
    }

    /// <summary>
    /// Reads the inbox entry at <paramref name="offset"/>; <paramref name="resolve"/> finds a referenced message.
    /// <paramref name="previous"/> starts at its default at the start of a block and carries from entry to entry.
    /// </summary>
    public static InboxItem ReadInboxEntry(ReadOnlySpan<byte> data, ref int offset, ref InboxLink previous, Func<string, long, ChatMessage?> resolve)
    {
        InboxEntryKind kind = ReadInboxHead(data, ref offset, ref previous);
        previous.Channel ??= Encoding.UTF8.GetString(data.Slice(previous.ChannelStart, previous.ChannelLength));
        string channelId = previous.Channel;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(previous.At);
        switch (kind)
        {
            case InboxEntryKind.Message:
                long seq = (long)ReadVarint(data, ref offset);
                return InboxItem.ForMessage(resolve(channelId, seq)
                    ?? throw new InvalidDataException($"An inbox entry references message {channelId}#{seq}, which is not in the file."));
            case InboxEntryKind.Read:
                return InboxItem.ForRead(channelId, (long)ReadVarint(data, ref offset), at);
            default:
                string user = ReadString(data, ref offset);
                bool added = data[offset++] != 0;
                return InboxItem.ForMember(channelId, user, added, ReadString(data, ref offset), at);
        }
    }

    /// <summary>Reads only the created-at of the inbox entry at <paramref name="offset"/> and moves past the entry (see <see cref="ReadInboxEntry"/>).</summary>
    public static DateTimeOffset SkipInboxEntry(ReadOnlySpan<byte> data, ref int offset, ref InboxLink previous)
    {
        InboxEntryKind kind = ReadInboxHead(data, ref offset, ref previous);
        if (kind is InboxEntryKind.Message or InboxEntryKind.Read)
        {
            ReadVarint(data, ref offset);
        }
        else
        {
            SkipString(data, ref offset);
            offset++;
            SkipString(data, ref offset);
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(previous.At);
    }

    /// <summary>Reads an inbox entry's kind, channel and created-at into <paramref name="previous"/> (the channel as a position; decoded on demand).</summary>
    private static InboxEntryKind ReadInboxHead(ReadOnlySpan<byte> data, ref int offset, ref InboxLink previous)
    {
        byte head = data[offset++];
        var kind = (InboxEntryKind)(head & KindMask);
        if ((head & ~(KindMask | SameChannel | AtDelta)) != 0 || kind > InboxEntryKind.Member
            || ((head & (SameChannel | AtDelta)) != 0 && !previous.HasPrevious))
        {
            throw new InvalidDataException($"A block holds a malformed inbox entry (head 0x{head:x2}); the file is corrupt.");
        }

        if ((head & SameChannel) == 0)
        {
            int length = checked((int)ReadVarint(data, ref offset));
            if (length > data.Length - offset)
            {
                throw new InvalidDataException("A block holds a malformed inbox entry (its channel runs past the block); the file is corrupt.");
            }

            previous.ChannelStart = offset;
            previous.ChannelLength = length;
            previous.Channel = null;
            offset += length;
        }

        ulong time = ReadVarint(data, ref offset);
        previous.At = (head & AtDelta) != 0 ? previous.At + UnZigZag(time) : (long)time;
        previous.HasPrevious = true;
        return kind;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    internal static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value)
    {
        Span<byte> span = writer.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        writer.Advance(i);
    }

    internal static ulong ReadVarint(ReadOnlySpan<byte> data, ref int offset)
    {
        ulong value = 0;
        int shift = 0;
        while (true)
        {
            byte b = data[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
            if (shift > 63)
            {
                throw new InvalidDataException("A block holds a malformed number; the file is corrupt.");
            }
        }
    }

    internal static void WriteString(ArrayBufferWriter<byte> writer, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(writer, (ulong)length);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    internal static string ReadString(ReadOnlySpan<byte> data, ref int offset)
    {
        int length = checked((int)ReadVarint(data, ref offset));
        string value = Encoding.UTF8.GetString(data.Slice(offset, length));
        offset += length;
        return value;
    }

    private static void SkipString(ReadOnlySpan<byte> data, ref int offset)
    {
        int length = checked((int)ReadVarint(data, ref offset));
        offset += length;
    }

    private static ReadOnlySpan<byte> StringBytes(ReadOnlySpan<byte> data, ref int offset)
    {
        int length = checked((int)ReadVarint(data, ref offset));
        ReadOnlySpan<byte> value = data.Slice(offset, length);
        offset += length;
        return value;
    }
}

/// <summary>
/// The inbox entry before the next one in a run of a block, which the next one may refer back to (see
/// <see cref="BlockCodec"/>): default at the start of a run (writing) or of a block (reading).
/// </summary>
internal struct InboxLink
{
    /// <summary>Whether there is an entry before the next one.</summary>
    public bool HasPrevious;

    /// <summary>The previous entry's channel; when reading, decoded from <see cref="ChannelStart"/> on demand.</summary>
    public string? Channel;

    /// <summary>When reading, where the previous entry's channel id is in the block (UTF-8).</summary>
    public int ChannelStart;

    /// <summary>When reading, the length in bytes of the previous entry's channel id.</summary>
    public int ChannelLength;

    /// <summary>The previous entry's created-at, Unix milliseconds.</summary>
    public long At;
}
