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
            InboxItem.ForRead("d:alice:bob", 9, At.AddSeconds(-5)),
            InboxItem.ForMessage(message),
        ];
        var writer = new ArrayBufferWriter<byte>();
        var written = default(InboxLink);
        foreach (InboxItem item in items)
        {
            BlockCodec.WriteInboxEntry(writer, item, ref written);
        }

        AssertReads(writer.WrittenSpan, items, message);
    }

    [Fact]
    public void An_entry_in_the_same_channel_as_the_one_before_it_takes_a_few_bytes()
    {
        string channel = "d:" + Guid.NewGuid() + ":" + Guid.NewGuid();
        var writer = new ArrayBufferWriter<byte>();
        var previous = default(InboxLink);
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForMessage(new ChatMessage(1, channel, 300, "a", "d", "x", null, "c", At)), ref previous);
        int first = writer.WrittenCount;
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForMessage(new ChatMessage(2, channel, 301, "b", "d", "y", null, "c", At.AddMilliseconds(40))), ref previous);

        Assert.True(first > channel.Length, $"the first entry of a run holds its channel ({first} bytes)");
        Assert.Equal(4, writer.WrittenCount - first); // head, created-at difference (one byte), channelSeq (two)
    }

    [Fact]
    public void Runs_appended_to_a_block_read_as_one_block()
    {
        // A materialization appends a run to a block's newest entries: its first entry stands alone, and the block
        // still reads front to back with one link.
        var message = new ChatMessage(7, "g-1", 3, "a", "d", "hi", null, "m", At);
        InboxItem[] first = [InboxItem.ForMessage(message), InboxItem.ForRead("g-1", 3, At.AddSeconds(1))];
        InboxItem[] second = [InboxItem.ForRead("g-1", 3, At.AddSeconds(9)), InboxItem.ForMember("g-1", "b", added: true, "a", At.AddSeconds(10))];
        var writer = new ArrayBufferWriter<byte>();
        foreach (InboxItem[] run in new[] { first, second })
        {
            var previous = default(InboxLink);
            foreach (InboxItem item in run)
            {
                BlockCodec.WriteInboxEntry(writer, item, ref previous);
            }
        }

        AssertReads(writer.WrittenSpan, [.. first, .. second], message);
    }

    [Fact]
    public void Entries_written_by_layout_version_5_read_unchanged()
    {
        // Up to version 5 every entry stood alone: kind, channel, created-at (Unix ms), then its fields.
        var writer = new ArrayBufferWriter<byte>();
        foreach ((byte kind, string channel, DateTimeOffset at, long upTo) in new[] { ((byte)1, "g-1", At, 4L), ((byte)1, "g-1", At.AddSeconds(1), 5L) })
        {
            writer.Write([kind]);
            BlockCodec.WriteString(writer, channel);
            BlockCodec.WriteVarint(writer, (ulong)at.ToUnixTimeMilliseconds());
            BlockCodec.WriteVarint(writer, (ulong)upTo);
        }

        AssertReads(writer.WrittenSpan, [InboxItem.ForRead("g-1", 4, At), InboxItem.ForRead("g-1", 5, At.AddSeconds(1))], null);
    }

    [Fact]
    public void An_entry_that_refers_back_at_the_start_of_a_block_is_reported_as_corrupt()
    {
        var writer = new ArrayBufferWriter<byte>();
        var previous = default(InboxLink);
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForRead("g-1", 1, At), ref previous);
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForRead("g-1", 2, At), ref previous);
        byte[] secondAlone = writer.WrittenSpan[BlockLength(writer.WrittenSpan)..].ToArray();

        int offset = 0;
        var link = default(InboxLink);
        Assert.Throws<InvalidDataException>(() => BlockCodec.SkipInboxEntry(secondAlone, ref offset, ref link));
    }

    [Fact]
    public void An_entry_that_references_a_message_not_in_the_file_is_reported()
    {
        var writer = new ArrayBufferWriter<byte>();
        var previous = default(InboxLink);
        BlockCodec.WriteInboxEntry(writer, InboxItem.ForMessage(new ChatMessage(1, "g-1", 5, "a", "d", "x", null, "c", At)), ref previous);
        int offset = 0;
        var link = default(InboxLink);
        Assert.Throws<InvalidDataException>(() => BlockCodec.ReadInboxEntry(writer.WrittenSpan, ref offset, ref link, (_, _) => null));
    }

    private static int BlockLength(ReadOnlySpan<byte> data)
    {
        int offset = 0;
        var link = default(InboxLink);
        BlockCodec.SkipInboxEntry(data, ref offset, ref link);
        return offset;
    }

    private static void AssertReads(ReadOnlySpan<byte> data, InboxItem[] items, ChatMessage? message)
    {
        int offset = 0;
        int skipped = 0;
        var read = default(InboxLink);
        var skip = default(InboxLink);
        foreach (InboxItem expected in items)
        {
            InboxItem item = BlockCodec.ReadInboxEntry(data, ref offset, ref read,
                (channel, seq) => channel == message?.ChannelId && seq == message.ChannelSeq ? message : null);
            Assert.Equal(expected.Kind, item.Kind);
            Assert.Equal(expected.ChannelId, item.ChannelId);
            Assert.Equal(expected.CreatedAt, item.CreatedAt);
            Assert.Same(expected.Message, item.Message);
            Assert.Equal(expected.UpTo, item.UpTo);
            Assert.Equal(expected.User, item.User);
            Assert.Equal(expected.Added, item.Added);
            Assert.Equal(expected.By, item.By);
            Assert.Equal(expected.CreatedAt, BlockCodec.SkipInboxEntry(data, ref skipped, ref skip));
            Assert.Equal(offset, skipped);
        }

        Assert.Equal(data.Length, offset);
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
