using System.Runtime.CompilerServices;
using ChatKit.Messaging;
using ChatKit.Sync;
using Microsoft.Extensions.Options;

namespace ChatKit.Tests.Messaging;

/// <summary>
/// What the in-memory store does beyond the shared specification: per-channel dedupe keys that leave with the dedupe
/// window, and messages kept as bytes that read back exactly as committed.
/// </summary>
public sealed class InMemoryMessageStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Channel = ChannelIds.Direct("alice", "bob");
    private readonly InMemoryMessageStore _store = new(Options.Create(new ChatKitOptions { DedupeWindow = TimeSpan.FromHours(24) }));
    private long _nextId = 1;

    [Fact]
    public async Task A_retry_inside_the_dedupe_window_is_a_duplicate_and_one_after_it_is_a_new_message()
    {
        ChatMessage first = (await _store.CommitAsync(Draft("k1", T0))).Message!;

        CommitResult inside = await _store.CommitAsync(Draft("k1", T0.AddHours(23)));
        Assert.Equal(CommitStatus.Duplicate, inside.Status);
        Assert.Equal(first.Id, inside.Message!.Id);

        // Any commit to the channel forgets the keys older than the window, oldest first.
        CommitResult after = await _store.CommitAsync(Draft("k1", T0.AddHours(24).AddMinutes(1)));
        Assert.Equal(CommitStatus.Committed, after.Status);
        Assert.Equal(2, after.Message!.ChannelSeq);

        // The new message has a key of its own now.
        Assert.Equal(CommitStatus.Duplicate, (await _store.CommitAsync(Draft("k1", T0.AddHours(25)))).Status);
    }

    [Fact]
    public async Task Pruning_stops_at_the_first_key_still_inside_the_window()
    {
        await _store.CommitAsync(Draft("old", T0));
        await _store.CommitAsync(Draft("young", T0.AddHours(12)));

        await _store.CommitAsync(Draft("trigger", T0.AddHours(25)));

        Assert.Equal(CommitStatus.Committed, (await _store.CommitAsync(Draft("old", T0.AddHours(25)))).Status);
        Assert.Equal(CommitStatus.Duplicate, (await _store.CommitAsync(Draft("young", T0.AddHours(25)))).Status);
    }

    [Fact]
    public async Task Every_key_still_dedupes_when_all_keys_share_one_hash()
    {
        // A 64-bit hash collision is too rare to meet in a test: here every key collides.
        var store = new InMemoryMessageStore(Options.Create(new ChatKitOptions { DedupeWindow = TimeSpan.FromHours(24) }), static (_, _) => 42);

        ChatMessage a = (await store.CommitAsync(Draft("a", T0))).Message!;
        ChatMessage b = (await store.CommitAsync(Draft("b", T0.AddHours(1)))).Message!;
        ChatMessage c = (await store.CommitAsync(Draft("c", T0.AddHours(2)))).Message!;
        Assert.Equal([1L, 2L, 3L], [a.ChannelSeq, b.ChannelSeq, c.ChannelSeq]);
        Assert.Equal(b.Id, (await store.CommitAsync(Draft("b", T0.AddHours(3)))).Message!.Id);
        Assert.Equal(a.Id, (await store.CommitAsync(Draft("a", T0.AddHours(3)))).Message!.Id);

        // "a" (the key that held the hash) leaves with the window; "b" and "c" must still be found.
        CommitResult afterA = await store.CommitAsync(Draft("a", T0.AddHours(24.5)));
        Assert.Equal(CommitStatus.Committed, afterA.Status);
        Assert.Equal(CommitStatus.Duplicate, (await store.CommitAsync(Draft("b", T0.AddHours(24.5)))).Status);
        Assert.Equal(c.Id, (await store.CommitAsync(Draft("c", T0.AddHours(24.5)))).Message!.Id);
        Assert.Equal(afterA.Message!.Id, (await store.CommitAsync(Draft("a", T0.AddHours(24.6)))).Message!.Id);

        // "b" leaves from among the colliding keys.
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(Draft("b", T0.AddHours(25.5)))).Status);
    }

    [Fact]
    public async Task A_message_reads_back_byte_for_byte_from_what_the_store_keeps()
    {
        CommitResult first = await _store.CommitAsync(Draft("k1", T0, body: "h\u00e9llo \"quoted\" \U0001F44B", metaJson: """{"reply":"1"}"""));
        byte[] json = first.Message!.GetUtf8Json().ToArray();
        byte[] tail = first.Appended[0].Entry.Item.GetEntryTail().ToArray();
        await _store.CommitAsync(Draft("k2", T0.AddSeconds(1)));

        InboxPage page = await _store.ReadInboxAsync("bob", 0, 10);
        ChatMessage read = page.Entries[0].Item.Message!;
        Assert.Equal(tail, page.Entries[0].Item.GetEntryTail().ToArray());
        Assert.Equal(json, read.GetUtf8Json().ToArray());
        Assert.Equal((first.Message.Id, first.Message.ChannelId, first.Message.ChannelSeq, first.Message.From, first.Message.Device, first.Message.Body, first.Message.MetaJson, first.Message.ClientMsgId, first.Message.SentAt),
            (read.Id, read.ChannelId, read.ChannelSeq, read.From, read.Device, read.Body, read.MetaJson, read.ClientMsgId, read.SentAt));

        HistoryPage history = await _store.GetHistoryAsync(Channel, null, 10);
        Assert.Equal(json, history.Messages[0].GetUtf8Json().ToArray());
        Assert.Null(history.Messages[1].MetaJson);
    }

    [Fact]
    public async Task A_message_larger_than_an_arena_chunk_is_kept_whole()
    {
        string body = new('x', 600_000);
        await _store.CommitAsync(Draft("small", T0));
        await _store.CommitAsync(Draft("big", T0.AddSeconds(1), body: body));
        await _store.CommitAsync(Draft("after", T0.AddSeconds(2)));

        HistoryPage history = await _store.GetHistoryAsync(Channel, null, 10);
        Assert.Equal(["hi small", body, "hi after"], history.Messages.Select(m => m.Body));
    }

    [Fact]
    public async Task The_store_keeps_no_object_of_a_committed_message()
    {
        (WeakReference message, WeakReference item) = await CommitAndForgetAsync();

        // What the store keeps is bytes: the message and the item its fan-out used are garbage once the caller is done.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(message.IsAlive);
        Assert.False(item.IsAlive);
        Assert.Equal("hi k1", (await _store.ReadInboxAsync("bob", 0, 10)).Entries[0].Item.Message!.Body);
    }

    [Fact]
    public void An_item_made_from_a_serialized_tail_gives_it_back()
    {
        byte[] tail = "{\"kind\":\"read\"}"u8.ToArray();
        InboxItem item = InboxItem.FromSerialized(InboxEntryKind.Read, Channel, tail, T0);

        Assert.Equal(tail, item.GetEntryTail().ToArray());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<(WeakReference Message, WeakReference Item)> CommitAndForgetAsync()
    {
        CommitResult result = await _store.CommitAsync(Draft("k1", T0));
        return (new WeakReference(result.Message), new WeakReference(result.Appended[0].Entry.Item));
    }

    private MessageDraft Draft(string clientMsgId, DateTimeOffset at, string? body = null, string? metaJson = null) =>
        new(_nextId++, Channel, ("alice", "bob"), "alice", "phone", body ?? "hi " + clientMsgId, metaJson, clientMsgId, at);
}
