using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;
using LiteDB;
using Xunit.Abstractions;

namespace ChatKit.Storage.LiteDb.Tests;

public sealed class RetentionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _file = new();
    private long _id = 1_000;

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task The_file_stops_growing_when_inboxes_are_at_their_retention()
    {
        // Membership churn appends entries to every member's inbox without adding history, so the only thing that
        // could grow is the inboxes: far more appends than the retention must leave the file size flat. Besides the
        // live data the file holds the journal of at most one materialization, bounded here to a small one so that
        // the two measurements see the same bound.
        using LiteDbChatDatabase db = _file.OpenDatabase(o =>
        {
            o.CheckpointLogBytes = 1024 * 1024;
            o.MaterializeAfterEntries = 2_000;
        });
        LiteDbMessageStore store = TempDatabase.MessageStore(db, new ChatKitOptions { InboxRetentionCount = 200 });
        const int groups = 8;
        string[] ids = new string[groups];
        for (int g = 0; g < groups; g++)
        {
            ids[g] = ChannelIds.Group(++_id);
            string[] members = [.. Enumerable.Range(0, 6).Select(i => $"g{g}u{i}")];
            await store.CreateGroupAsync(new GroupDraft(ids[g], "churn", members[0], members, T0));
        }

        async Task ChurnAsync(int rounds) => await Task.WhenAll(Enumerable.Range(0, groups).Select(g => Task.Run(async () =>
        {
            for (int i = 0; i < rounds; i++)
            {
                var change = new MembershipChange(ids[g], $"g{g}u0", [$"g{g}guest"], Add: i % 2 == 0, MaxMembers: 100, T0.AddSeconds(i));
                Assert.Equal(CommitStatus.Committed, (await store.ChangeMembersAsync(change)).Status);
            }
        })));

        await ChurnAsync(400);      // every inbox reaches its retention (400 changes x 1 entry each)
        await ChurnAsync(4_000);    // and the file its working size: blocks, free pages, the journal's peak
        await store.MaterializeAsync();
        db.Db.Checkpoint();
        long warm = _file.SizeOnDisk;
        await ChurnAsync(8_000);    // twice as many appends again, all trimmed
        await store.MaterializeAsync();
        db.Db.Checkpoint();
        long after = _file.SizeOnDisk;
        output.WriteLine($"warm {warm} bytes, after 2x more appends {after} bytes");

        Assert.True(after <= warm * 1.25 + 256 * 1024, $"The file grew from {warm} to {after} bytes at a fixed retention.");
        InboxState state = (await store.ReadInboxAsync("g0u1", 0, 0)).State;
        Assert.Equal(200, state.Head - state.FirstSeq + 1);
    }

    [Fact]
    public async Task Deleting_messages_gives_their_bodies_back()
    {
        // As above, the journal of one materialization is bounded small, so that the file holds mostly history.
        using LiteDbChatDatabase db = _file.OpenDatabase(o =>
        {
            o.CheckpointLogBytes = 1024 * 1024;
            o.MaterializeAfterEntries = 500;
        });
        LiteDbMessageStore store = TempDatabase.MessageStore(db, new ChatKitOptions { InboxRetentionCount = 50 });
        string body = new('x', 4000);
        const int messages = 3_000;
        for (int i = 1; i <= messages; i++)
        {
            var draft = new MessageDraft(++_id, "d:alice:bob", ("alice", "bob"), "alice", "d", body, null, $"m{i}", T0.AddMilliseconds(i));
            await store.CommitAsync(draft);
            if (i > 50)
            {
                // A host that keeps the newest 50 messages of history.
                Assert.True(await store.DeleteMessageAsync("d:alice:bob", i - 50));
            }
        }

        await store.MaterializeAsync();
        db.Db.Checkpoint();
        long size = _file.SizeOnDisk;
        output.WriteLine($"{messages} messages of {body.Length} characters, all but 50 deleted: {size} bytes");
        Assert.True(size < messages * body.Length / 4, $"{size} bytes for {messages} messages of which 50 are kept.");
        Assert.Equal(50, (await store.GetHistoryAsync("d:alice:bob", null, 200)).Messages.Count);
    }

    [Fact]
    public async Task A_clientMsgId_is_remembered_for_the_dedupe_window_also_across_a_restart_and_then_free_again()
    {
        // The history is the dedupe index; a restart rebuilds the filter from the messages of the last window.
        var old = new List<string>();
        DateTimeOffset later = T0 + new ChatKitOptions().DedupeWindow + TimeSpan.FromMinutes(1);
        using (LiteDbChatDatabase db = _file.OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            for (int i = 0; i < 3_000; i++)
            {
                await store.CommitAsync(Draft($"old{i}", T0.AddMilliseconds(i)));
            }

            await store.MaterializeAsync();
            for (int i = 0; i < 4; i++)
            {
                await store.CommitAsync(Draft($"new{i}", later.AddSeconds(i)));
            }

            Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft("new0", later.AddMinutes(1)))).Status);
            Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft("old0", later.AddMinutes(1)))).Status);
        }

        using (LiteDbChatDatabase db = _file.OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            CommitResult retried = await store.CommitAsync(Draft("new1", later.AddMinutes(2)));
            Assert.Equal(CommitStatus.Duplicate, retried.Status);
            Assert.Equal(3_002, retried.Message!.ChannelSeq);
            Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft("old0", later.AddMinutes(2)))).Status);
            Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft("old1", later.AddMinutes(2)))).Status);
        }

        MessageDraft Draft(string clientMsgId, DateTimeOffset at) =>
            new(++_id, "d:alice:bob", ("alice", "bob"), "alice", "d", "x", null, clientMsgId, at);
    }

    [Fact]
    public async Task After_a_restart_the_dedupe_window_covers_a_channel_whose_document_lags_its_newest_message()
    {
        // A channel's document is not rewritten for every message: its activity time may lag by up to an hour, and
        // the filter is rebuilt from the channels the activity index says may hold a message of the window.
        DateTimeOffset day2 = T0.AddDays(2);
        DateTimeOffset lagging = day2 + LiteDbMessageStore.ChannelActivitySlack - TimeSpan.FromMinutes(10);
        DateTimeOffset latest = lagging + new ChatKitOptions().DedupeWindow - TimeSpan.FromMinutes(30);
        using (LiteDbChatDatabase db = _file.OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            foreach ((string clientMsgId, DateTimeOffset at) in new[] { ("a1", T0), ("a2", day2), ("a3", lagging) })
            {
                Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft("d:alice:bob", ("alice", "bob"), clientMsgId, at))).Status);
                await store.MaterializeAsync();
            }

            Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft("d:carol:dave", ("carol", "dave"), "c1", latest))).Status);
            await store.MaterializeAsync();

            // What the test is about: the channel's document says day 2, before the window that the newest message sets.
            BsonDocument doc = db.Read(() => db.Db.GetCollection(LiteDbCollections.Channels).FindById("d:alice:bob"));
            Assert.Equal(day2.ToUnixTimeMilliseconds(), doc["a"].AsInt64);
            Assert.True(day2 < latest - new ChatKitOptions().DedupeWindow);
        }

        using (LiteDbChatDatabase db = _file.OpenDatabase())
        {
            LiteDbMessageStore store = TempDatabase.MessageStore(db);
            CommitResult retried = await store.CommitAsync(Draft("d:alice:bob", ("alice", "bob"), "a3", latest.AddMinutes(1)));
            Assert.Equal(CommitStatus.Duplicate, retried.Status);
            Assert.Equal(3, retried.Message!.ChannelSeq);
            Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft("d:carol:dave", ("carol", "dave"), "c1", latest.AddMinutes(1)))).Status);

            // Older than the window: free again, and the sequence goes on after the newest block's.
            CommitResult reused = await store.CommitAsync(Draft("d:alice:bob", ("alice", "bob"), "a2", latest.AddMinutes(1)));
            Assert.Equal(CommitStatus.Committed, reused.Status);
            Assert.Equal(4, reused.Message!.ChannelSeq);
        }

        MessageDraft Draft(string channelId, (string, string) pair, string clientMsgId, DateTimeOffset at) =>
            new(++_id, channelId, pair, pair.Item1, "d", "x", null, clientMsgId, at);
    }

    [Fact]
    public async Task Commits_queued_behind_a_running_batch_share_transactions()
    {
        using LiteDbChatDatabase db = _file.OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);
        string g = ChannelIds.Group(++_id);
        string[] members = [.. Enumerable.Range(0, 10).Select(i => $"u{i}")];
        await store.CreateGroupAsync(new GroupDraft(g, "g", "u0", members, T0));

        // Hold the writer in a batch of its own, as a slow batch under load would, while the commits queue up.
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<bool> holder = Task.Run(() => db.WriteAsync(() => { running.Set(); release.Wait(); return true; }, CancellationToken.None));
        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        long before = db.CommittedBatches;

        const int total = 2_000;
        Task<CommitResult>[] commits = [.. Enumerable.Range(0, total).Select(i =>
            store.CommitAsync(new MessageDraft(++_id + i * 0, g, null, members[i % 10], "d", "x", null, $"c{i}", T0.AddMilliseconds(i))).AsTask())];
        Assert.DoesNotContain(commits, c => c.IsCompleted);
        release.Set();
        Assert.True(await holder);
        CommitResult[] results = await Task.WhenAll(commits);

        long transactions = db.CommittedBatches - before - 1;
        output.WriteLine($"{total} queued commits in {transactions} transactions");
        Assert.All(results, r => Assert.Equal(CommitStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), results.Select(r => r.Message!.ChannelSeq).Order());
        Assert.True(transactions <= total / 4, $"{total} commits took {transactions} transactions.");
    }
}
