using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ChatKit.Messaging;

/// <summary>
/// The messages of <see cref="InMemoryMessageStore"/>, encoded one after another into large byte chunks. A stored
/// message is bytes in an array the collector never traces, so committing one leaves no young object behind that
/// every following gen0 collection would have to find through the card table and copy (measured: 1.7 MB found that
/// way per collection, two thirds of a 15 ms pause, at 6,000 1:1 messages a second). Readers get a new
/// <see cref="ChatMessage"/> decoded from the bytes. Not thread-safe: the store serializes access.
/// </summary>
/// <remarks>
/// A record: id, channel seq, sent-at ticks, the dedupe hash (8 bytes each), then from, device, client message id,
/// body and meta as a 4-byte length (−1 for none) and their UTF-16 code units, which round-trip any string exactly.
/// A locator is the chunk index in the high 32 bits and the record's offset in the low 32.
/// </remarks>
internal sealed class MessageArena
{
    /// <summary>On the large-object heap from the start: allocated once per megabyte of messages.</summary>
    private const int ChunkBytes = 1 << 20;

    private const int IdOffset = 0;
    private const int ChannelSeqOffset = 8;
    private const int SentAtOffset = 16;
    private const int DedupeHashOffset = 24;
    private const int StringsOffset = 32;

    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkBytes;

    /// <summary>The dedupe key's hash: equal for equal (from, client message id) pairs within this process.</summary>
    public static long DedupeHash(string from, string clientMsgId) =>
        ((long)string.GetHashCode(clientMsgId.AsSpan()) << 32) | (uint)HashCode.Combine(from.Length, string.GetHashCode(from.AsSpan()));

    /// <summary>Stores a committed message (all but its channel, which the caller knows); returns its locator.</summary>
    public long Add(ChatMessage message, long dedupeHash)
    {
        int length = StringsOffset + Size(message.From) + Size(message.Device) + Size(message.ClientMsgId) + Size(message.Body) + Size(message.MetaJson);
        if (ChunkBytes - _used < length)
        {
            // A message larger than a chunk gets a chunk of its own.
            _chunks.Add(new byte[Math.Max(ChunkBytes, length)]);
            _used = 0;
        }

        byte[] chunk = _chunks[^1];
        int offset = _used;
        Span<byte> record = chunk.AsSpan(offset, length);
        BinaryPrimitives.WriteInt64LittleEndian(record[IdOffset..], message.Id);
        BinaryPrimitives.WriteInt64LittleEndian(record[ChannelSeqOffset..], message.ChannelSeq);
        BinaryPrimitives.WriteInt64LittleEndian(record[SentAtOffset..], message.SentAt.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(record[DedupeHashOffset..], dedupeHash);
        int at = StringsOffset;
        at += Write(record[at..], message.From);
        at += Write(record[at..], message.Device);
        at += Write(record[at..], message.ClientMsgId);
        at += Write(record[at..], message.Body);
        Write(record[at..], message.MetaJson);

        // An oversized message's own chunk takes nothing after it.
        _used = chunk.Length == ChunkBytes ? offset + length : ChunkBytes;
        return ((long)(_chunks.Count - 1) << 32) | (uint)offset;
    }

    /// <summary>Decodes a stored message.</summary>
    public ChatMessage Read(long locator, string channelId)
    {
        ReadOnlySpan<byte> record = Record(locator);
        int at = StringsOffset;
        string from = ReadString(record, ref at)!;
        string device = ReadString(record, ref at)!;
        string clientMsgId = ReadString(record, ref at)!;
        string body = ReadString(record, ref at)!;
        string? metaJson = ReadString(record, ref at);
        return new ChatMessage(
            BinaryPrimitives.ReadInt64LittleEndian(record[IdOffset..]), channelId,
            BinaryPrimitives.ReadInt64LittleEndian(record[ChannelSeqOffset..]), from, device, body, metaJson, clientMsgId,
            new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(record[SentAtOffset..]), TimeSpan.Zero));
    }

    /// <summary>When the message was committed.</summary>
    public DateTimeOffset SentAt(long locator) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(Record(locator)[SentAtOffset..]), TimeSpan.Zero);

    /// <summary>The dedupe hash stored with the message.</summary>
    public long DedupeHashOf(long locator) => BinaryPrimitives.ReadInt64LittleEndian(Record(locator)[DedupeHashOffset..]);

    /// <summary>Whether the message was sent by <paramref name="user"/>, without decoding it.</summary>
    public bool IsFrom(long locator, string user)
    {
        int at = StringsOffset;
        return StringAt(Record(locator), ref at).SequenceEqual(user);
    }

    /// <summary>Whether the message has this sender and client message id, without decoding it.</summary>
    public bool HasDedupeKey(long locator, string from, string clientMsgId)
    {
        ReadOnlySpan<byte> record = Record(locator);
        int at = StringsOffset;
        bool sameSender = StringAt(record, ref at).SequenceEqual(from);
        StringAt(record, ref at);
        return sameSender && StringAt(record, ref at).SequenceEqual(clientMsgId);
    }

    private ReadOnlySpan<byte> Record(long locator) => _chunks[(int)(locator >> 32)].AsSpan((int)(uint)locator);

    private static int Size(string? text) => 4 + ((text?.Length ?? 0) * sizeof(char));

    private static int Write(Span<byte> destination, string? text)
    {
        if (text is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination, -1);
            return 4;
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination, text.Length);
        MemoryMarshal.AsBytes(text.AsSpan()).CopyTo(destination[4..]);
        return Size(text);
    }

    /// <summary>The characters of the string at <paramref name="at"/> (none for a null one), and moves past it.</summary>
    private static ReadOnlySpan<char> StringAt(ReadOnlySpan<byte> record, ref int at) => StringAt(record, ref at, out _);

    private static ReadOnlySpan<char> StringAt(ReadOnlySpan<byte> record, ref int at, out bool isNull)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(record[at..]);
        at += 4;
        isNull = length < 0;
        if (isNull)
        {
            return default;
        }

        // Every field has an even size, so records and their characters are 2-byte aligned.
        ReadOnlySpan<char> text = MemoryMarshal.Cast<byte, char>(record.Slice(at, length * sizeof(char)));
        at += length * sizeof(char);
        return text;
    }

    private static string? ReadString(ReadOnlySpan<byte> record, ref int at)
    {
        ReadOnlySpan<char> text = StringAt(record, ref at, out bool isNull);
        return isNull ? null : new string(text);
    }
}
