using System.Runtime.InteropServices;
using ChatKit.Messaging;
using ChatKit.Sync;
using Microsoft.Extensions.Options;

namespace ChatKit.Tests.Messaging;

/// <summary>
/// What the in-memory store does beyond the shared specification: per-channel dedupe keys that leave with the dedupe
/// window, and encodings dropped from older messages without changing what readers get.
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
    public async Task An_older_message_whose_encoding_was_dropped_reads_back_byte_for_byte()
    {
        CommitResult first = await _store.CommitAsync(Draft("k1", T0, body: "h\u00e9llo \"quoted\" \U0001F44B", metaJson: """{"reply":"1"}"""));
        byte[] json = first.Message!.GetUtf8Json().ToArray();
        byte[] tail = first.Appended[0].Entry.Item.GetEntryTail().ToArray();

        // The next message of the channel drops the first one's encodings; a reader encodes them again.
        await _store.CommitAsync(Draft("k2", T0.AddSeconds(1)));

        InboxPage page = await _store.ReadInboxAsync("bob", 0, 10);
        Assert.Same(first.Message, page.Entries[0].Item.Message);
        Assert.Equal(tail, page.Entries[0].Item.GetEntryTail().ToArray());
        Assert.Equal(json, first.Message.GetUtf8Json().ToArray());
    }

    [Fact]
    public async Task Reads_of_an_older_message_do_not_cache_its_encoding_again()
    {
        CommitResult first = await _store.CommitAsync(Draft("k1", T0));
        InboxItem item = first.Appended[0].Entry.Item;
        Assert.True(SameArray(item.GetEntryTail(), item.GetEntryTail()), "the newest message's tail is cached for its fan-out");

        await _store.CommitAsync(Draft("k2", T0.AddSeconds(1)));

        // A reconnect storm reads every older message once per device: caching them again would keep them all.
        Assert.False(SameArray(item.GetEntryTail(), item.GetEntryTail()));
        Assert.False(SameArray(first.Message!.GetUtf8Json(), first.Message.GetUtf8Json()));
    }

    [Fact]
    public void An_item_made_from_a_serialized_tail_keeps_it()
    {
        byte[] tail = "{\"kind\":\"read\"}"u8.ToArray();
        InboxItem item = InboxItem.FromSerialized(InboxEntryKind.Read, Channel, tail, T0);

        item.ReleaseEncoding();

        Assert.Equal(tail, item.GetEntryTail().ToArray());
    }

    private static bool SameArray(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) =>
        MemoryMarshal.TryGetArray(a, out ArraySegment<byte> x) && MemoryMarshal.TryGetArray(b, out ArraySegment<byte> y)
        && ReferenceEquals(x.Array, y.Array);

    private MessageDraft Draft(string clientMsgId, DateTimeOffset at, string? body = null, string? metaJson = null) =>
        new(_nextId++, Channel, ("alice", "bob"), "alice", "phone", body ?? "hi " + clientMsgId, metaJson, clientMsgId, at);
}
