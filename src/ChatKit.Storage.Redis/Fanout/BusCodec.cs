using System.Text;
using ChatKit.Presence;
using ChatKit.Sync;

namespace ChatKit.Fanout;

/// <summary>
/// The binary form of what nodes send each other. Entries: the distinct items once (kind, channel, time, serialized
/// tail) and then (user, seq, item) per entry, so a group message to 100 users on one node carries its bytes once.
/// </summary>
internal static class BusCodec
{
    public const byte Entries = (byte)'E';
    public const byte Frame = (byte)'F';
    public const byte Presence = (byte)'P';

    public static byte[] EncodeEntries(IReadOnlyList<AppendedEntry> entries)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.UTF8);
        w.Write(Entries);
        var items = new Dictionary<InboxItem, int>(ReferenceEqualityComparer.Instance);
        var order = new List<InboxItem>();
        foreach (AppendedEntry e in entries)
        {
            if (!items.ContainsKey(e.Entry.Item))
            {
                items.Add(e.Entry.Item, order.Count);
                order.Add(e.Entry.Item);
            }
        }

        w.Write(order.Count);
        foreach (InboxItem item in order)
        {
            ReadOnlySpan<byte> tail = item.GetEntryTail().Span;
            w.Write((byte)item.Kind);
            w.Write(item.ChannelId);
            w.Write(item.CreatedAt.ToUnixTimeMilliseconds());
            w.Write(tail.Length);
            w.Write(tail);
        }

        w.Write(entries.Count);
        foreach (AppendedEntry e in entries)
        {
            w.Write(e.User);
            w.Write(e.Entry.Seq);
            w.Write(items[e.Entry.Item]);
        }

        w.Flush();
        return ms.ToArray();
    }

    public static AppendedEntry[] DecodeEntries(BinaryReader r)
    {
        int itemCount = r.ReadInt32();
        var items = new InboxItem[itemCount];
        for (int i = 0; i < itemCount; i++)
        {
            var kind = (InboxEntryKind)r.ReadByte();
            string channel = r.ReadString();
            var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
            byte[] tail = r.ReadBytes(r.ReadInt32());
            items[i] = InboxItem.FromSerialized(kind, channel, tail, createdAt);
        }

        var entries = new AppendedEntry[r.ReadInt32()];
        for (int i = 0; i < entries.Length; i++)
        {
            string user = r.ReadString();
            long seq = r.ReadInt64();
            entries[i] = new AppendedEntry(user, new InboxEntry(seq, items[r.ReadInt32()]));
        }

        return entries;
    }

    public static byte[] EncodeFrame(IReadOnlyList<string> users, ReadOnlySpan<byte> frame)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.UTF8);
        w.Write(Frame);
        w.Write(users.Count);
        foreach (string u in users)
        {
            w.Write(u);
        }

        w.Write(frame.Length);
        w.Write(frame);
        w.Flush();
        return ms.ToArray();
    }

    public static (string[] Users, byte[] Frame) DecodeFrame(BinaryReader r)
    {
        var users = new string[r.ReadInt32()];
        for (int i = 0; i < users.Length; i++)
        {
            users[i] = r.ReadString();
        }

        return (users, r.ReadBytes(r.ReadInt32()));
    }

    public static byte[] EncodePresence(string origin, PresenceChange change)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.UTF8);
        w.Write(Presence);
        w.Write(origin);
        w.Write(change.User);
        w.Write(change.Online);
        w.Write(change.LastActiveAt.ToUnixTimeMilliseconds());
        w.Flush();
        return ms.ToArray();
    }

    public static (string Origin, PresenceChange Change) DecodePresence(BinaryReader r)
    {
        string origin = r.ReadString();
        string user = r.ReadString();
        bool online = r.ReadBoolean();
        return (origin, new PresenceChange(user, online, DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64())));
    }
}
