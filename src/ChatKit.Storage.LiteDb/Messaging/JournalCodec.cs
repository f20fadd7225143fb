using System.Buffers;
using ChatKit.Messaging;
using static ChatKit.Storage.LiteDb.Messaging.BlockCodec;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// The binary form of journal records: what one write batch changed, in order, as one byte array per batch (see
/// <see cref="LiteDbMessageStore"/>). Each record starts with its kind; strings and numbers are encoded as in
/// <see cref="BlockCodec"/>, and a message record carries the message in its history form.
/// </summary>
internal static class JournalCodec
{
    public const byte Message = 1;
    public const byte Group = 2;
    public const byte Members = 3;
    public const byte Read = 4;
    public const byte Delete = 5;

    public static void WriteMessage(ArrayBufferWriter<byte> writer, ChatMessage message, (string Low, string High)? createsDirect)
    {
        WriteKind(writer, Message);
        WriteString(writer, message.ChannelId);
        WriteVarint(writer, (ulong)message.ChannelSeq);
        WriteVarint(writer, createsDirect is null ? 0UL : 1UL);
        if (createsDirect is (string low, string high))
        {
            WriteString(writer, low);
            WriteString(writer, high);
        }

        BlockCodec.WriteMessage(writer, message, deleted: false);
    }

    public static (ChatMessage Message, (string Low, string High)? CreatesDirect) ReadMessage(ReadOnlySpan<byte> data, ref int offset)
    {
        string channelId = ReadString(data, ref offset);
        long channelSeq = (long)ReadVarint(data, ref offset);
        (string, string)? createsDirect = ReadVarint(data, ref offset) == 1 ? (ReadString(data, ref offset), ReadString(data, ref offset)) : null;
        return (BlockCodec.ReadMessage(data, ref offset, channelId, channelSeq, out _), createsDirect);
    }

    public static void WriteGroup(ArrayBufferWriter<byte> writer, string channelId, string name, string owner, IReadOnlyList<string> members, DateTimeOffset at)
    {
        WriteKind(writer, Group);
        WriteString(writer, channelId);
        WriteString(writer, name);
        WriteString(writer, owner);
        WriteStrings(writer, members);
        WriteVarint(writer, (ulong)at.ToUnixTimeMilliseconds());
    }

    public static (string ChannelId, string Name, string Owner, string[] Members, DateTimeOffset At) ReadGroup(ReadOnlySpan<byte> data, ref int offset) =>
        (ReadString(data, ref offset), ReadString(data, ref offset), ReadString(data, ref offset), ReadStrings(data, ref offset), ReadTime(data, ref offset));

    public static void WriteMembers(ArrayBufferWriter<byte> writer, string channelId, string actor, bool add, IReadOnlyList<string> users, DateTimeOffset at)
    {
        WriteKind(writer, Members);
        WriteString(writer, channelId);
        WriteString(writer, actor);
        WriteVarint(writer, add ? 1UL : 0UL);
        WriteStrings(writer, users);
        WriteVarint(writer, (ulong)at.ToUnixTimeMilliseconds());
    }

    public static (string ChannelId, string Actor, bool Add, string[] Users, DateTimeOffset At) ReadMembers(ReadOnlySpan<byte> data, ref int offset) =>
        (ReadString(data, ref offset), ReadString(data, ref offset), ReadVarint(data, ref offset) == 1, ReadStrings(data, ref offset), ReadTime(data, ref offset));

    public static void WriteRead(ArrayBufferWriter<byte> writer, string user, string channelId, long upTo, DateTimeOffset at)
    {
        WriteKind(writer, Read);
        WriteString(writer, user);
        WriteString(writer, channelId);
        WriteVarint(writer, (ulong)upTo);
        WriteVarint(writer, (ulong)at.ToUnixTimeMilliseconds());
    }

    public static (string User, string ChannelId, long UpTo, DateTimeOffset At) ReadRead(ReadOnlySpan<byte> data, ref int offset) =>
        (ReadString(data, ref offset), ReadString(data, ref offset), (long)ReadVarint(data, ref offset), ReadTime(data, ref offset));

    public static void WriteDelete(ArrayBufferWriter<byte> writer, string channelId, long channelSeq)
    {
        WriteKind(writer, Delete);
        WriteString(writer, channelId);
        WriteVarint(writer, (ulong)channelSeq);
    }

    public static (string ChannelId, long ChannelSeq) ReadDelete(ReadOnlySpan<byte> data, ref int offset) =>
        (ReadString(data, ref offset), (long)ReadVarint(data, ref offset));

    private static void WriteKind(ArrayBufferWriter<byte> writer, byte kind)
    {
        writer.GetSpan(1)[0] = kind;
        writer.Advance(1);
    }

    private static void WriteStrings(ArrayBufferWriter<byte> writer, IReadOnlyList<string> values)
    {
        WriteVarint(writer, (ulong)values.Count);
        foreach (string value in values)
        {
            WriteString(writer, value);
        }
    }

    private static string[] ReadStrings(ReadOnlySpan<byte> data, ref int offset)
    {
        string[] values = new string[checked((int)ReadVarint(data, ref offset))];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReadString(data, ref offset);
        }

        return values;
    }

    private static DateTimeOffset ReadTime(ReadOnlySpan<byte> data, ref int offset) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)ReadVarint(data, ref offset));
}
