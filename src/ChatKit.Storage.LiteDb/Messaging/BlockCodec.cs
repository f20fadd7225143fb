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
/// unless deleted. An inbox entry: kind, channel, created-at, then <c>channelSeq</c> (message, read) or user, added
/// and actor (member).
/// </remarks>
internal static class BlockCodec
{
    private const byte Deleted = 1;
    private const byte HasMeta = 2;

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

    /// <summary>Reads the message at <paramref name="offset"/> and moves past it.</summary>
    public static ChatMessage ReadMessage(ReadOnlySpan<byte> data, ref int offset, string channelId, long channelSeq, out bool deleted)
    {
        long id = (long)ReadVarint(data, ref offset);
        string from = ReadString(data, ref offset);
        string device = ReadString(data, ref offset);
        string clientMsgId = ReadString(data, ref offset);
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds((long)ReadVarint(data, ref offset));
        byte flags = data[offset++];
        deleted = (flags & Deleted) != 0;
        string body = deleted ? "" : ReadString(data, ref offset);
        string? meta = (flags & HasMeta) != 0 ? ReadString(data, ref offset) : null;
        return new ChatMessage(id, channelId, channelSeq, from, device, body, meta, clientMsgId, sentAt);
    }

    /// <summary>Appends an inbox entry; a message entry references the message by (channel, <c>channelSeq</c>).</summary>
    public static void WriteInboxEntry(ArrayBufferWriter<byte> writer, InboxItem item)
    {
        writer.GetSpan(1)[0] = (byte)item.Kind;
        writer.Advance(1);
        WriteString(writer, item.ChannelId);
        WriteVarint(writer, (ulong)item.CreatedAt.ToUnixTimeMilliseconds());
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

    /// <summary>Reads the inbox entry at <paramref name="offset"/>; <paramref name="resolve"/> finds a referenced message.</summary>
    public static InboxItem ReadInboxEntry(ReadOnlySpan<byte> data, ref int offset, Func<string, long, ChatMessage?> resolve)
    {
        var kind = (InboxEntryKind)data[offset++];
        string channelId = ReadString(data, ref offset);
        var at = DateTimeOffset.FromUnixTimeMilliseconds((long)ReadVarint(data, ref offset));
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

    /// <summary>Reads only the created-at of the inbox entry at <paramref name="offset"/> and moves past the entry.</summary>
    public static DateTimeOffset SkipInboxEntry(ReadOnlySpan<byte> data, ref int offset)
    {
        var kind = (InboxEntryKind)data[offset++];
        SkipString(data, ref offset);
        var at = DateTimeOffset.FromUnixTimeMilliseconds((long)ReadVarint(data, ref offset));
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

        return at;
    }

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
}
