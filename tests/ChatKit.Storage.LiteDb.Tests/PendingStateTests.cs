using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Sync;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>
/// Committed changes that are not folded into the file yet are kept as bytes and positions (see
/// <see cref="PendingState"/>): what is read back before the fold is what was committed, dedupe finds them, and a
/// deletion before the fold still leaves a tombstone.
/// </summary>
public sealed class PendingStateTests : IDisposable
{
    private const string Channel = "d:alice:bob";

    // Not a whole millisecond: the file keeps milliseconds, pending messages keep the exact time.
    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    private readonly TempDatabase _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_message_read_before_the_fold_is_the_one_committed_and_after_it_keeps_all_but_sub_millisecond_time()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);
        var draft = new MessageDraft(7, Channel, ("alice", "bob"), "alice", "phone", "héllo 👋", """{"k":[1,2]}""", "c-ü1", T0);
        ChatMessage committed = (await store.CommitAsync(draft)).Message!;

        AssertSame(committed, Assert.Single((await store.GetHistoryAsync(Channel, null, 10)).Messages), exactTime: true);
        InboxEntry entry = Assert.Single((await store.ReadInboxAsync("bob", 0, 10)).Entries);
        Assert.Equal(InboxEntryKind.Message, entry.Item.Kind);
        Assert.Equal(T0, entry.Item.CreatedAt);
        AssertSame(committed, entry.Item.Message!, exactTime: true);

        // Folded in (the next batch no longer reads the folded layer): the file's copy, beside a new pending one.
        await store.MaterializeAsync();
        ChatMessage next = (await store.CommitAsync(draft with { Id = 8, ClientMsgId = "c-ü2", SentAt = T0.AddTicks(5) })).Message!;
        IReadOnlyList<ChatMessage> history = (await store.GetHistoryAsync(Channel, null, 10)).Messages;
        Assert.Equal(2, history.Count);
        AssertSame(committed, history[0], exactTime: false);
        AssertSame(next, history[1], exactTime: true);
        IReadOnlyList<InboxEntry> inbox = (await store.ReadInboxAsync("bob", 0, 10)).Entries;
        AssertSame(committed, inbox[0].Item.Message!, exactTime: false);
        AssertSame(next, inbox[1].Item.Message!, exactTime: true);
    }

    [Fact]
    public async Task A_retry_is_a_duplicate_before_and_after_the_fold_and_only_the_same_sender_and_client_id_are_one()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft(1, "alice", "c-ü1", "first"))).Status);
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft(2, "alice", "c-u1", "other id"))).Status);
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft(3, "bob", "c-ü1", "other sender"))).Status);

        for (int fold = 0; fold < 2; fold++)
        {
            CommitResult retry = await store.CommitAsync(Draft(10 + fold, "alice", "c-ü1", "retry"));
            Assert.Equal(CommitStatus.Duplicate, retry.Status);
            Assert.Equal(1, retry.Message!.ChannelSeq);
            Assert.Equal("first", retry.Message.Body);
            Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft(20 + fold, "bob", "c-ü1", "retry"))).Status);
            await store.MaterializeAsync();
        }

        Assert.Equal(3, (await store.GetChannelAsync(Channel))!.LastSeq);
    }

    [Fact]
    public async Task A_message_deleted_before_the_fold_is_folded_in_as_a_tombstone_between_the_others()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);
        for (int i = 1; i <= 5; i++)
        {
            await store.CommitAsync(Draft(i, "alice", $"c{i}", $"m{i}"));
        }

        Assert.True(await store.DeleteMessageAsync(Channel, 3));
        await store.MaterializeAsync();

        Assert.Equal(["m1", "m2", "m4", "m5"], (await store.GetHistoryAsync(Channel, null, 10)).Messages.Select(m => m.Body));
        Assert.False(await store.DeleteMessageAsync(Channel, 3));
        ChatMessage tombstone = (await store.ReadInboxAsync("bob", 2, 1)).Entries[0].Item.Message!;
        Assert.Equal((3L, "", "c3"), (tombstone.ChannelSeq, tombstone.Body, tombstone.ClientMsgId));

        // The tombstone keeps the dedupe key, and the messages after it are whole.
        Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft(9, "alice", "c3", "retry"))).Status);
        Assert.Equal("m5", (await store.ReadInboxAsync("bob", 4, 1)).Entries[0].Item.Message!.Body);
    }

    [Fact]
    public async Task Messages_that_fill_several_record_chunks_read_back_whole_before_and_after_the_fold()
    {
        using LiteDbChatDatabase db = OpenDatabase();
        LiteDbMessageStore store = TempDatabase.MessageStore(db);

        // Chunks hold 1 MiB: the second message does not fit beside the first, the third is larger than a chunk
        // (a chunk of its own), and the small ones after it start a new chunk.
        string[] bodies = [new string('a', 600_000), new string('b', 600_000), new string('c', 1_500_000), "small ü", "small 👋"];
        var committed = new List<ChatMessage>();
        for (int i = 0; i < bodies.Length; i++)
        {
            committed.Add((await store.CommitAsync(Draft(i + 1, "alice", $"c{i + 1}", bodies[i]))).Message!);
        }

        for (int fold = 0; fold < 2; fold++)
        {
            // A retry finds the key in the chunks, then in the file; as a batch, it also lets the folded layer go.
            CommitResult retry = await store.CommitAsync(Draft(10 + fold, "alice", "c2", "retry"));
            Assert.Equal((CommitStatus.Duplicate, 2L), (retry.Status, retry.Message!.ChannelSeq));

            IReadOnlyList<ChatMessage> history = (await store.GetHistoryAsync(Channel, null, 10)).Messages;
            Assert.Equal(bodies.Length, history.Count);
            for (int i = 0; i < bodies.Length; i++)
            {
                AssertSame(committed[i], history[i], exactTime: fold == 0);
                AssertSame(committed[i], (await store.ReadInboxAsync("bob", i, 1)).Entries[0].Item.Message!, exactTime: fold == 0);
            }

            await store.MaterializeAsync();
        }
    }

    private static MessageDraft Draft(long id, string from, string clientMsgId, string body) =>
        new(id, Channel, ("alice", "bob"), from, "d", body, null, clientMsgId, T0.AddMilliseconds(id));

    private static void AssertSame(ChatMessage expected, ChatMessage actual, bool exactTime)
    {
        Assert.Equal(
            (expected.Id, expected.ChannelId, expected.ChannelSeq, expected.From, expected.Device, expected.Body, expected.MetaJson, expected.ClientMsgId),
            (actual.Id, actual.ChannelId, actual.ChannelSeq, actual.From, actual.Device, actual.Body, actual.MetaJson, actual.ClientMsgId));
        Assert.Equal(exactTime ? expected.SentAt : DateTimeOffset.FromUnixTimeMilliseconds(expected.SentAt.ToUnixTimeMilliseconds()), actual.SentAt);
    }

    private LiteDbChatDatabase OpenDatabase() =>
        _file.OpenDatabase(o => o.MaterializeInterval = TimeSpan.FromHours(1));
}
