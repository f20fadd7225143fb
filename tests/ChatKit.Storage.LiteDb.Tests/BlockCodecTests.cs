using System.Buffers;
using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;

namespace ChatKit.Storage.LiteDb.Tests;

public sealed class BlockCodecTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    [Fact]
    public void Messages_round_trip_in_order_with_tombstones_meta_and_any_text()
    {
        ChatMessage[] messages =
        [
            new(long.MaxValue, "g-1", 1, "alice", "phone", "plain", null, "c1", At),
            new(1, "g-1", 2, "bob", "", "héllo 👋 世界\n\"quoted\"", """{"k":[1,2]}""", new string('x', 64), At.AddDays(400)),
            new(42, "g-1", 3, "carol", "web", "", "", "c3", DateTimeOffset.FromUnixTimeMilliseconds(0)),
            new(43, "g-1", 4, "dave", "web", new string('b', 40_000), """{"gone":true}""", "c4", At),
        ];
        var writer = new ArrayBufferWriter<byte>();
        foreach (ChatMessage message in messages)
        {
            BlockCodec.WriteMessage(writer, message, deleted: message.ChannelSeq == 4);
        }

        int offset = 0;
        for (int i = 0; i < messages.Length; i++)
        {
            ChatMessage read = BlockCodec.ReadMessage(writer.WrittenSpan, ref offset, "g-1", i + 1, out bool deleted);
            ChatMessage expected = messages[i];
            Assert.Equal(expected.ChannelSeq == 4, deleted);
            Assert.Equal(
                (expected.Id, expected.ChannelId, expected.ChannelSeq, expected.From, expected.Device, deleted ? "" : expected.Body,
                    deleted ? null : expected.MetaJson, expected.ClientMsgId, expected.SentAt),
                (read.Id, read.ChannelId, read.ChannelSeq, read.From, read.Device, read.Body, read.MetaJson, read.ClientMsgId, read.SentAt));
        }

        Assert.Equal(writer.WrittenCount, offset);
    }

    [Fact]
    public void Inbox_entries_of_every_kind_round_trip_and_skip_to_the_same_place()
    {
        var message = new ChatMessage(7, "d:alice:bob", 9, "alice", "d", "hi", null, "m9", At);
        InboxItem[] items =
        [
            InboxItem.ForMessage(message),
            InboxItem.ForRead("d:alice:bob", 9, At.AddSeconds(1)),
            InboxItem.ForMember("g-3", "zoë", added: true, "alice", At.AddSeconds(2)),
            InboxItem.ForMember("g-3", "zoë", added: false, "zoë", At.AddSeconds(3)),
        ];
        var writer = new ArrayBufferWriter<byte>();
        foreach (InboxItem item in items)
        {
            BlockCodec.WriteInboxEntry(writer, item);
        }

        int offset = 0;
        int skipped = 0;
        foreach (InboxItem expected in items)
        {
            InboxItem read = BlockCodec.ReadInboxEntry(writer.WrittenSpan, ref offset,
                (channel, seq) => channel == message.ChannelId && seq == message.ChannelSeq ? message : null);
            Assert.Equal(expected.Kind, read.Kind);
            Assert.Equal(expected.ChannelId, read.ChannelId);
            Assert.Equal(expected.CreatedAt, read.CreatedAt);
            Assert.Same(expected.Message, read.Message);
            Assert.Equal(expected.UpTo, read.UpTo);
            Assert.Equal(expected.User, read.User);
            Assert.Equal(expected.Added, read.Added);
            Assert.Equal(expected.By, read.By);
            Assert.Equal(expected.CreatedAt, BlockCodec.SkipInboxEntry(writer.WrittenSpan, ref skipped));
            Assert.Equal(offset, skipped);
        }
    }

    [Fact]
    public void An_entry_that_references_a_message_not_in_the_file_is_reported()
    {
        var writer = new ArrayBufferWriter<byte>();
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForMessage(new ChatMessage(1, "g-1", 5, "a", "d", "x", null, "c", At)));
        int offset = 0;
        Assert.Throws<InvalidDataException>(() => BlockCodec.ReadInboxEntry(writer.WrittenSpan, ref offset, (_, _) => null));
    }
}

public sealed class JournalCodecTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    [Fact]
    public void Every_record_kind_round_trips_in_order()
    {
        var message = new ChatMessage(99, "d:a:b", 12, "a", "phone", "hé 👋", """{"x":1}""", "cm", At);
        var writer = new ArrayBufferWriter<byte>();
        JournalCodec.WriteMessage(writer, message, ("a", "b"));
        JournalCodec.WriteMessage(writer, message, null);
        JournalCodec.WriteGroup(writer, "g-7", "Team ✨", "a", ["a", "b", "c"], At);
        JournalCodec.WriteMembers(writer, "g-7", "a", add: false, ["c"], At.AddSeconds(1));
        JournalCodec.WriteRead(writer, "b", "g-7", 41, At.AddSeconds(2));
        JournalCodec.WriteDelete(writer, "g-7", 40);

        ReadOnlySpan<byte> data = writer.WrittenSpan;
        int offset = 0;
        Assert.Equal(JournalCodec.Message, data[offset++]);
        (ChatMessage first, (string, string)? direct) = JournalCodec.ReadMessage(data, ref offset);
        Assert.Equal(("a", "b"), direct);
        Assert.Equal((99L, "d:a:b", 12L, "hé 👋", """{"x":1}""", At), (first.Id, first.ChannelId, first.ChannelSeq, first.Body, first.MetaJson, first.SentAt));
        Assert.Equal(JournalCodec.Message, data[offset++]);
        Assert.Null(JournalCodec.ReadMessage(data, ref offset).CreatesDirect);
        Assert.Equal(JournalCodec.Group, data[offset++]);
        (string groupId, string name, string owner, string[] members, DateTimeOffset createdAt) = JournalCodec.ReadGroup(data, ref offset);
        Assert.Equal(("g-7", "Team ✨", "a", At), (groupId, name, owner, createdAt));
        Assert.Equal(["a", "b", "c"], members);
        Assert.Equal(JournalCodec.Members, data[offset++]);
        (string channelId, string actor, bool add, string[] users, DateTimeOffset at) = JournalCodec.ReadMembers(data, ref offset);
        Assert.Equal(("g-7", "a", false, At.AddSeconds(1)), (channelId, actor, add, at));
        Assert.Equal(["c"], users);
        Assert.Equal(JournalCodec.Read, data[offset++]);
        Assert.Equal(("b", "g-7", 41L, At.AddSeconds(2)), JournalCodec.ReadRead(data, ref offset));
        Assert.Equal(JournalCodec.Delete, data[offset++]);
        Assert.Equal(("g-7", 40L), JournalCodec.ReadDelete(data, ref offset));
        Assert.Equal(data.Length, offset);
    }
}
