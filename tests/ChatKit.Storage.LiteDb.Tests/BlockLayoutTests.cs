using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>
/// How materializations cut history and inboxes into blocks, and that every read finds its entries whatever the
/// cut: blocks start anywhere, the newest is extended only while it is small.
/// </summary>
public sealed class BlockLayoutTests : IDisposable
{
    private const string Channel = "d:alice:bob";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new();
    private long _id;
    private int _sent;

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_small_newest_block_is_extended_and_a_large_one_is_followed_by_new_blocks_across_a_restart()
    {
        const int small = LiteDbMessageStore.ExtendBlocksBelow;
        using (LiteDbChatDatabase db = OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);

            // One message per materialization: the first block grows to the size past which blocks are not extended, then the next starts.
            for (int i = 0; i < small + 4; i++)
            {
                await SendAsync(store, 1);
                await store.MaterializeAsync();
            }

            Assert.Equal([(1L, small), (small + 1L, 4)], HistoryBlocks(db));

            // A small newest block takes the next batch whole; after a large one, batches start blocks of their own.
            await SendAsync(store, 40);
            await store.MaterializeAsync();
            await SendAsync(store, 100);
            await store.MaterializeAsync();
            Assert.Equal([(1L, small), (small + 1L, 44), (small + 45L, 64), (small + 109L, 36)], HistoryBlocks(db));
            Assert.Equal([(1L, small), (small + 1L, 44), (small + 45L, 100)], InboxBlocks(db, "bob"));

            // Tombstones land in the block that holds them.
            Assert.True(await store.DeleteMessageAsync(Channel, small + 2));
            Assert.True(await store.DeleteMessageAsync(Channel, small + 45));
            await store.MaterializeAsync();
            await AssertEverythingReadsAsync(store, deleted: [small + 2L, small + 45L]);
        }

        // Reopened, with nothing remembered about the newest block: read from the file instead.
        using (LiteDbChatDatabase db = OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            await AssertEverythingReadsAsync(store, deleted: [small + 2L, small + 45L]);
            await SendAsync(store, 5);
            await store.MaterializeAsync();
            await SendAsync(store, 3);
            await store.MaterializeAsync();
            Assert.Equal((small + 145L, 8), HistoryBlocks(db)[^1]);
            Assert.All(InboxBlocks(db, "bob"), b => Assert.InRange(b.Count, 1, LiteDbMessageStore.InboxBlockSize));
            await AssertEverythingReadsAsync(store, deleted: [small + 2L, small + 45L]);
        }
    }

    [Fact]
    public async Task Blocks_never_exceed_their_maximum_and_reads_from_any_position_find_their_entries()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);

        // Batches of every size, each folded in on its own, cut blocks at uneven places.
        foreach (int batch in new[] { 3, 1, 70, 2, 300, 15, 17, 129, 1, 64, 255, 257, 9 })
        {
            await SendAsync(store, batch);
            await store.MaterializeAsync();
        }

        foreach ((IReadOnlyList<(long Start, int Count)> blocks, int max) in new[]
        {
            (HistoryBlocks(db), LiteDbMessageStore.MessageBlockSize),
            (InboxBlocks(db, "alice"), LiteDbMessageStore.InboxBlockSize),
        })
        {
            Assert.All(blocks, b => Assert.InRange(b.Count, 1, max));
            Assert.Equal(1, blocks[0].Start);
            for (int i = 1; i < blocks.Count; i++)
            {
                // Consecutive, no gap, no overlap.
                Assert.Equal(blocks[i - 1].Start + blocks[i - 1].Count, blocks[i].Start);
            }

            Assert.Equal(_sent, blocks[^1].Start + blocks[^1].Count - 1);
        }

        await AssertEverythingReadsAsync(store, deleted: []);
    }

    [Fact]
    public async Task Retention_deletes_the_blocks_below_the_first_kept_entry_and_never_the_newest()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db, new ChatKitOptions { InboxRetentionCount = 100 });
        for (int i = 0; i < 40; i++)
        {
            await SendAsync(store, 37);
            await store.MaterializeAsync();
        }

        InboxState state = (await store.ReadInboxAsync("bob", 0, 0)).State;
        Assert.Equal(_sent, state.Head);
        Assert.Equal(_sent - 99, state.FirstSeq);
        IReadOnlyList<(long Start, int Count)> blocks = InboxBlocks(db, "bob");

        // What stays starts less than a block's maximum below the first kept entry.
        Assert.InRange(blocks[0].Start, state.FirstSeq - LiteDbMessageStore.InboxBlockSize + 1, state.FirstSeq);
        Assert.Equal(_sent, blocks[^1].Start + blocks[^1].Count - 1);

        InboxPage page = await store.ReadInboxAsync("bob", 0, 1_000);
        Assert.Equal(Enumerable.Range(_sent - 99, 100).Select(s => (long)s), page.Entries.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_channel_document_is_written_when_the_channel_is_created_and_its_last_seq_comes_from_the_newest_block()
    {
        using (LiteDbChatDatabase db = OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            await SendAsync(store, 3);
            await store.MaterializeAsync();
            await SendAsync(store, 2);
            await store.MaterializeAsync();

            // Written once, with the message that created the channel; the four after it did not rewrite it.
            BsonDocument doc = db.Read(() => db.Db.GetCollection(LiteDbCollections.Channels).FindById(Channel));
            Assert.Equal(3, doc["s"].AsInt64);
            ChatChannel channel = Assert.IsType<ChatChannel>(await store.GetChannelAsync(Channel));
            Assert.Equal(5, channel.LastSeq);
            Assert.Equal(T0.AddMilliseconds(5), channel.LastActivityAt);
        }

        using (LiteDbChatDatabase db = OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            Assert.Equal(5, (await store.GetChannelAsync(Channel))!.LastSeq);
            ChannelSummary summary = Assert.Single(await store.GetUserChannelsAsync("bob"));
            Assert.Equal(5, summary.Channel.LastSeq);
            Assert.Equal("m5", summary.LastMessage!.Body);

            // The next message continues the sequence instead of reusing a channelSeq.
            await SendAsync(store, 1);
            await store.MaterializeAsync();
            Assert.Equal(6, (await store.GetChannelAsync(Channel))!.LastSeq);
            await AssertEverythingReadsAsync(store, deleted: []);
        }
    }

    private LiteDbChatDatabase OpenDatabase() =>
        _file.OpenDatabase(o => o.MaterializeInterval = TimeSpan.FromHours(1));

    private async Task SendAsync(LiteDbMessageStore store, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int n = ++_sent;
            var draft = new MessageDraft(++_id, Channel, ("alice", "bob"), "alice", "d", $"m{n}", null, $"c{n}", T0.AddMilliseconds(n));
            Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(draft)).Status);
        }
    }

    /// <summary>Every message through history pages and through inbox pages that start at every position.</summary>
    private async Task AssertEverythingReadsAsync(LiteDbMessageStore store, long[] deleted)
    {
        var history = new List<ChatMessage>();
        long? before = null;
        while (true)
        {
            HistoryPage page = await store.GetHistoryAsync(Channel, before, 13);
            if (page.Messages.Count == 0)
            {
                break;
            }

            history.InsertRange(0, page.Messages);
            before = page.Messages[0].ChannelSeq;
        }

        IEnumerable<long> kept = Enumerable.Range(1, _sent).Select(s => (long)s).Except(deleted);
        Assert.Equal(kept, history.Select(m => m.ChannelSeq));
        Assert.All(history, m => Assert.Equal($"m{m.ChannelSeq}", m.Body));

        for (long after = 0; after < _sent; after += 7)
        {
            InboxPage page = await store.ReadInboxAsync("bob", after, 11);
            long[] expected = Enumerable.Range((int)after + 1, (int)Math.Min(11, _sent - after)).Select(s => (long)s).ToArray();
            Assert.Equal(expected, page.Entries.Select(e => e.Seq));
            foreach (InboxEntry entry in page.Entries)
            {
                ChatMessage message = Assert.IsType<ChatMessage>(entry.Item.Message);
                Assert.Equal(entry.Seq, message.ChannelSeq);
                if (!deleted.Contains(entry.Seq))
                {
                    Assert.Equal($"m{entry.Seq}", message.Body);
                }
            }
        }
    }

    private static List<(long Start, int Count)> HistoryBlocks(LiteDbChatDatabase db) => Blocks(db, LiteDbCollections.Messages, Channel);

    private static List<(long Start, int Count)> InboxBlocks(LiteDbChatDatabase db, string user) => Blocks(db, LiteDbCollections.Inbox, user);

    private static List<(long Start, int Count)> Blocks(LiteDbChatDatabase db, string collection, string prefix) =>
        db.Read(() => db.Db.GetCollection(collection)
            .Find(LiteDbKeys.IdBetween(LiteDbKeys.RangeStart(prefix), LiteDbKeys.RangeEnd(prefix)))
            .Select(b => (LiteDbKeys.ParseSequenced(b["_id"].AsString).Seq, b[LiteDbDocuments.BlockCount].AsInt32))
            .OrderBy(b => b.Seq)
            .ToList());
}
