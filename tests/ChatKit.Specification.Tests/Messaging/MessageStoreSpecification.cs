using ChatKit.Messaging;
using ChatKit.Sync;
using Xunit;

namespace ChatKit.Specification.Messaging;

/// <summary>
/// The contract of <see cref="IMessageStore"/>, written once. An implementation's test project derives from this
/// class and implements <see cref="CreateStoreAsync"/>; every test gets a fresh, empty store.
/// </summary>
/// <remarks>
/// Tests read state back through the store itself (channels, history, inboxes, channel lists) and compare inbox
/// entries in their wire form (<see cref="WireEntry"/>), so that a store may rebuild entries from bytes.
/// Times are explicit: every write carries a server clock that the test advances, one millisecond per write.
/// </remarks>
public abstract class MessageStoreSpecification : IAsyncLifetime
{
    /// <summary>The clock of the first write.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<IMessageStore> _stores = [];
    private long _nextId = 1_000_000;
    private DateTimeOffset _now = T0;

    /// <summary>The store of the current test, made with <see cref="CreateOptions"/>.</summary>
    protected IMessageStore Store { get; private set; } = null!;

    /// <summary>Creates a fresh, empty store with <paramref name="options"/> (retention and dedupe settings).</summary>
    /// <param name="options">The options the store must honour.</param>
    protected abstract ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options);

    /// <summary>Releases a store made by <see cref="CreateStoreAsync"/>. By default disposes it when it is disposable.</summary>
    /// <param name="store">The store.</param>
    protected virtual ValueTask DisposeStoreAsync(IMessageStore store) => Disposal.DisposeAsync(store);

    /// <summary>The options of <see cref="Store"/>.</summary>
    protected virtual ChatKitOptions CreateOptions() => new();

    /// <summary>
    /// Whether <see cref="IMessageStore.CommitAsync"/> returns the inbox entries it appended in
    /// <see cref="CommitResult.Appended"/>. Override with <see langword="false"/> for a store whose fan-out completes in
    /// the background (it delivers through <see cref="IInboxAppendListener"/> instead).
    /// </summary>
    protected virtual bool CommitReturnsAppended => true;

    /// <summary>
    /// Waits until the fan-out of every commit made so far has reached the inboxes. Called before every inbox read of
    /// these tests. Default: nothing to wait for, the fan-out is part of the commit.
    /// </summary>
    /// <param name="store">The store.</param>
    protected virtual Task WaitForFanoutAsync(IMessageStore store) => Task.CompletedTask;

    /// <summary>How many messages the concurrency tests commit in total; lower it for a slow store.</summary>
    protected virtual int ConcurrentMessages => 400;

    /// <inheritdoc />
    public async Task InitializeAsync() => Store = await NewStoreAsync(CreateOptions());

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (IMessageStore store in _stores)
        {
            await DisposeStoreAsync(store);
        }
    }

    /// <summary>Creates another store for this test, disposed with it.</summary>
    /// <param name="options">Its options.</param>
    protected async Task<IMessageStore> NewStoreAsync(ChatKitOptions options)
    {
        IMessageStore store = await CreateStoreAsync(options);
        _stores.Add(store);
        return store;
    }

    // ---------------------------------------------------------------- direct channels, sequences, fan-out

    [Fact]
    public async Task GetChannel_of_an_unknown_id_is_null()
    {
        Assert.Null(await Store.GetChannelAsync("g-42"));
        Assert.Null(await Store.GetChannelAsync(ChannelIds.Direct("alice", "bob")));
    }

    [Fact]
    public async Task First_commit_to_a_direct_channel_creates_it_with_both_users()
    {
        CommitResult result = await Store.CommitAsync(Direct("bob", "alice", "m1"));

        Assert.Equal(CommitStatus.Committed, result.Status);
        ChatChannel? channel = await Store.GetChannelAsync(ChannelIds.Direct("alice", "bob"));
        Assert.NotNull(channel);
        Assert.Equal(ChannelKind.Direct, channel.Kind);
        Assert.Equal("d:alice:bob", channel.Id);
        Assert.Null(channel.Name);
        Assert.Null(channel.Owner);
        Assert.Equal(["alice", "bob"], channel.Members.Order(StringComparer.Ordinal));
        Assert.Equal(1, channel.LastSeq);
        Assert.Equal(1, result.Message!.ChannelSeq);
        Assert.Equal("bob", result.Message.From);
        Assert.Equal("hello m1", result.Message.Body);
    }

    [Fact]
    public async Task Second_commit_reuses_the_direct_channel_from_either_side()
    {
        await Store.CommitAsync(Direct("alice", "bob", "m1"));
        CommitResult second = await Store.CommitAsync(Direct("bob", "alice", "m2"));

        Assert.Equal(CommitStatus.Committed, second.Status);
        Assert.Equal(2, second.Message!.ChannelSeq);
        Assert.Equal(2, (await Store.GetChannelAsync("d:alice:bob"))!.LastSeq);
        Assert.Single(await Store.GetUserChannelsAsync("alice"));
        Assert.Single(await Store.GetUserChannelsAsync("bob"));
    }

    [Fact]
    public async Task Direct_channel_with_oneself_has_one_member_and_one_entry_per_message()
    {
        CommitResult result = await Store.CommitAsync(Direct("alice", "alice", "m1"));

        Assert.Equal(CommitStatus.Committed, result.Status);
        ChatChannel channel = (await Store.GetChannelAsync("d:alice:alice"))!;
        Assert.Equal(["alice"], channel.Members);
        InboxPage inbox = await InboxAsync(Store, "alice", 0, 100);
        WireEntry entry = Assert.Single(WireEntry.Of(inbox.Entries));
        Assert.Equal(1, entry.Seq);
        Assert.Equal(result.Message!.Id, entry.MessageId);
    }

    [Fact]
    public async Task ChannelSeq_and_inbox_seq_start_at_one_and_have_no_gaps()
    {
        var seqs = new List<long>();
        for (int i = 0; i < 7; i++)
        {
            CommitResult r = await Store.CommitAsync(Direct(i % 2 == 0 ? "alice" : "bob", i % 2 == 0 ? "bob" : "alice", $"m{i}"));
            seqs.Add(r.Message!.ChannelSeq);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], seqs);
        foreach (string user in new[] { "alice", "bob" })
        {
            IReadOnlyList<WireEntry> entries = WireEntry.Of((await InboxAsync(Store, user, 0, 100)).Entries);
            Assert.Equal([1, 2, 3, 4, 5, 6, 7], entries.Select(e => e.Seq));
            Assert.Equal([1, 2, 3, 4, 5, 6, 7], entries.Select(e => e.ChannelSeq!.Value));
        }
    }

    [Fact]
    public async Task Commit_appends_the_message_to_every_member_exactly_once_the_sender_too()
    {
        string g = await GroupAsync("owner", "m1", "m2", "m3");
        var sent = new List<ChatMessage>();
        foreach (string from in new[] { "m2", "owner", "m3", "m2" })
        {
            CommitResult r = await Store.CommitAsync(InChannel(from, g, $"c-{sent.Count}"));
            Assert.Equal(CommitStatus.Committed, r.Status);

            // The result lists one appended entry per member, each the member's newest.
            if (CommitReturnsAppended)
            {
                Assert.Equal(["m1", "m2", "m3", "owner"], r.Appended.Select(a => a.User).Order(StringComparer.Ordinal));
            }

            foreach (AppendedEntry a in r.Appended)
            {
                InboxState state = (await InboxAsync(Store, a.User, 0, 0)).State;
                Assert.Equal(state.Head, a.Entry.Seq);
                Assert.Equal(r.Message!.Id, WireEntry.Of(a.Entry).MessageId);
            }

            sent.Add(r.Message!);
        }

        foreach (string member in new[] { "owner", "m1", "m2", "m3" })
        {
            IReadOnlyList<WireEntry> entries = WireEntry.Of((await InboxAsync(Store, member, 0, 100)).Entries);
            Assert.Equal([1, 2, 3, 4, 5], entries.Select(e => e.Seq));
            Assert.Equal("member", entries[0].Kind);
            Assert.Equal(sent.Select(m => m.Id), entries.Skip(1).Select(e => e.MessageId!.Value));
            Assert.Equal([1, 2, 3, 4], entries.Skip(1).Select(e => e.ChannelSeq!.Value));
            Assert.All(entries.Skip(1), e => Assert.Equal(g, e.Channel));
        }
    }

    [Fact]
    public async Task Commit_keeps_every_field_of_the_message()
    {
        var draft = new MessageDraft(NextId(), "d:alice:bob", ("alice", "bob"), "alice", "phone-1", "héllo 👋",
            """{"reply":"1"}""", "cmid-1", Tick());
        ChatMessage m = (await Store.CommitAsync(draft)).Message!;
        ChatMessage read = Assert.Single((await Store.GetHistoryAsync("d:alice:bob", null, 10)).Messages);

        foreach (ChatMessage x in new[] { m, read })
        {
            Assert.Equal(draft.Id, x.Id);
            Assert.Equal("d:alice:bob", x.ChannelId);
            Assert.Equal(1, x.ChannelSeq);
            Assert.Equal("alice", x.From);
            Assert.Equal("phone-1", x.Device);
            Assert.Equal("héllo 👋", x.Body);
            Assert.Equal("""{"reply":"1"}""", x.MetaJson?.Replace(" ", "", StringComparison.Ordinal));
            Assert.Equal("cmid-1", x.ClientMsgId);
            Assert.Equal(draft.SentAt.ToUnixTimeMilliseconds(), x.SentAt.ToUnixTimeMilliseconds());
        }
    }

    // ---------------------------------------------------------------- dedupe

    [Fact]
    public async Task Duplicate_clientMsgId_returns_the_first_message_and_appends_nothing()
    {
        string g = await GroupAsync("alice", "bob");
        ChatMessage first = (await Store.CommitAsync(InChannel("alice", g, "same", body: "first"))).Message!;
        long aliceHead = await HeadAsync("alice");
        long bobHead = await HeadAsync("bob");

        CommitResult again = await Store.CommitAsync(InChannel("alice", g, "same", body: "second"));

        Assert.Equal(CommitStatus.Duplicate, again.Status);
        Assert.Empty(again.Appended);
        Assert.Equal(first.Id, again.Message!.Id);
        Assert.Equal(1, again.Message.ChannelSeq);
        Assert.Equal("first", again.Message.Body);
        Assert.Equal(1, (await Store.GetChannelAsync(g))!.LastSeq);
        Assert.Equal(aliceHead, await HeadAsync("alice"));
        Assert.Equal(bobHead, await HeadAsync("bob"));
        Assert.Single((await Store.GetHistoryAsync(g, null, 10)).Messages);
    }

    [Fact]
    public async Task Duplicate_first_message_of_a_direct_channel_is_deduped_too()
    {
        ChatMessage first = (await Store.CommitAsync(Direct("alice", "bob", "k"))).Message!;
        CommitResult again = await Store.CommitAsync(Direct("alice", "bob", "k"));

        Assert.Equal(CommitStatus.Duplicate, again.Status);
        Assert.Equal(first.Id, again.Message!.Id);
        Assert.Equal(1, await HeadAsync("bob"));
    }

    [Fact]
    public async Task Dedupe_key_is_sender_channel_and_clientMsgId()
    {
        string g1 = await GroupAsync("alice", "bob");
        string g2 = await GroupAsync("alice", "bob");
        Assert.Equal(CommitStatus.Committed, (await Store.CommitAsync(InChannel("alice", g1, "k"))).Status);
        Assert.Equal(CommitStatus.Committed, (await Store.CommitAsync(InChannel("bob", g1, "k"))).Status);
        Assert.Equal(CommitStatus.Committed, (await Store.CommitAsync(InChannel("alice", g2, "k"))).Status);
        Assert.Equal(CommitStatus.Duplicate, (await Store.CommitAsync(InChannel("bob", g1, "k"))).Status);
        Assert.Equal(2, (await Store.GetChannelAsync(g1))!.LastSeq);
        Assert.Equal(1, (await Store.GetChannelAsync(g2))!.LastSeq);
    }

    [Fact]
    public async Task Concurrent_retries_of_one_clientMsgId_commit_once()
    {
        string g = await GroupAsync("alice", "bob");
        CommitResult[] results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await Store.CommitAsync(InChannel("alice", g, "retry", body: $"try {i}")))));

        Assert.Single(results, r => r.Status == CommitStatus.Committed);
        Assert.All(results, r => Assert.Contains(r.Status, new[] { CommitStatus.Committed, CommitStatus.Duplicate }));
        Assert.Single(results.Select(r => r.Message!.Id).Distinct());
        Assert.Equal(1, (await Store.GetChannelAsync(g))!.LastSeq);
        Assert.Equal(2, await HeadAsync("bob")); // member entry + one message
    }

    // ---------------------------------------------------------------- refusals

    [Fact]
    public async Task Commit_to_an_unknown_group_is_ChannelNotFound_and_creates_nothing()
    {
        CommitResult r = await Store.CommitAsync(InChannel("alice", "g-777", "m1"));

        Assert.Equal(CommitStatus.ChannelNotFound, r.Status);
        Assert.Null(r.Message);
        Assert.Empty(r.Appended);
        Assert.Null(await Store.GetChannelAsync("g-777"));
        Assert.Equal(0, await HeadAsync("alice"));
        Assert.Empty(await Store.GetUserChannelsAsync("alice"));
    }

    [Fact]
    public async Task Commit_by_a_non_member_is_NotMember_and_changes_nothing()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "m1"));
        long bobHead = await HeadAsync("bob");

        CommitResult r = await Store.CommitAsync(InChannel("mallory", g, "m2"));

        Assert.Equal(CommitStatus.NotMember, r.Status);
        Assert.Null(r.Message);
        Assert.Empty(r.Appended);
        Assert.Equal(1, (await Store.GetChannelAsync(g))!.LastSeq);
        Assert.Equal(bobHead, await HeadAsync("bob"));
        Assert.Equal(0, await HeadAsync("mallory"));
        Assert.Single((await Store.GetHistoryAsync(g, null, 10)).Messages);
    }

    [Fact]
    public async Task A_refused_commit_does_not_record_its_dedupe_key()
    {
        string g = await GroupAsync("alice", "bob");
        Assert.Equal(CommitStatus.NotMember, (await Store.CommitAsync(InChannel("carol", g, "k"))).Status);
        await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["carol"], Add: true, 100, Tick()));

        CommitResult r = await Store.CommitAsync(InChannel("carol", g, "k"));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(1, r.Message!.ChannelSeq);
    }

    [Fact]
    public async Task Commit_by_a_third_user_into_a_direct_channel_is_NotMember()
    {
        await Store.CommitAsync(Direct("alice", "bob", "m1"));
        var draft = new MessageDraft(NextId(), "d:alice:bob", null, "carol", "d1", "hi", null, "x", Tick());

        Assert.Equal(CommitStatus.NotMember, (await Store.CommitAsync(draft)).Status);
        Assert.Equal(1, (await Store.GetChannelAsync("d:alice:bob"))!.LastSeq);
        Assert.Equal(0, await HeadAsync("carol"));
    }

    [Fact]
    public async Task Commit_by_a_sender_outside_a_new_direct_channel_is_NotMember_and_creates_nothing()
    {
        var draft = new MessageDraft(NextId(), "d:alice:bob", ("alice", "bob"), "carol", "d1", "hi", null, "x", Tick());

        Assert.Equal(CommitStatus.NotMember, (await Store.CommitAsync(draft)).Status);
        Assert.Null(await Store.GetChannelAsync("d:alice:bob"));
        Assert.Empty(await Store.GetUserChannelsAsync("alice"));
        Assert.Equal(0, await HeadAsync("bob"));
    }

    [Fact]
    public async Task SkipMembershipCheck_commits_for_a_non_member_and_appends_only_to_members()
    {
        string g = await GroupAsync("alice", "bob");
        var draft = new MessageDraft(NextId(), g, null, "system", "system", "welcome", null, "sys-1", Tick(), SkipMembershipCheck: true);

        CommitResult r = await Store.CommitAsync(draft);

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal("system", r.Message!.From);
        if (CommitReturnsAppended)
        {
            Assert.Equal(["alice", "bob"], r.Appended.Select(a => a.User).Order(StringComparer.Ordinal));
        }

        Assert.Equal(2, await HeadAsync("alice"));
        Assert.Equal(2, await HeadAsync("bob"));
        Assert.Equal(0, await HeadAsync("system"));
        Assert.Equal(["alice", "bob"], (await Store.GetChannelAsync(g))!.Members.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SkipMembershipCheck_does_not_create_a_missing_group()
    {
        var draft = new MessageDraft(NextId(), "g-5", null, "system", "system", "x", null, "s", Tick(), SkipMembershipCheck: true);

        Assert.Equal(CommitStatus.ChannelNotFound, (await Store.CommitAsync(draft)).Status);
        Assert.Null(await Store.GetChannelAsync("g-5"));
    }

    [Fact]
    public async Task Cancelled_commit_changes_nothing()
    {
        string g = await GroupAsync("alice", "bob");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store.CommitAsync(InChannel("alice", g, "m"), cts.Token));
        Assert.Equal(0, (await Store.GetChannelAsync(g))!.LastSeq);
        Assert.Equal(1, await HeadAsync("bob"));
    }

    // ---------------------------------------------------------------- groups

    [Fact]
    public async Task CreateGroup_stores_the_group_and_gives_each_member_one_entry_about_itself()
    {
        string id = ChannelIds.Group(NextId());
        DateTimeOffset at = Tick();
        ChannelChangeResult r = await Store.CreateGroupAsync(new GroupDraft(id, "Team", "alice", ["alice", "bob", "carol"], at));

        Assert.Equal(CommitStatus.Committed, r.Status);
        foreach (ChatChannel c in new[] { r.Channel!, (await Store.GetChannelAsync(id))! })
        {
            Assert.Equal(id, c.Id);
            Assert.Equal(ChannelKind.Group, c.Kind);
            Assert.Equal("Team", c.Name);
            Assert.Equal("alice", c.Owner);
            Assert.Equal(["alice", "bob", "carol"], c.Members);
            Assert.Equal(0, c.LastSeq);
        }

        Assert.Equal(["alice", "bob", "carol"], r.Appended.Select(a => a.User).Order(StringComparer.Ordinal));
        foreach (string user in new[] { "alice", "bob", "carol" })
        {
            WireEntry e = Assert.Single(WireEntry.Of((await InboxAsync(Store, user, 0, 10)).Entries));
            Assert.Equal(new WireEntry(1, "member", id, null, null, null, null, null, user, "added", "alice"), e);
            Assert.Contains(await Store.GetUserChannelsAsync(user), s => s.Channel.Id == id);
        }
    }

    [Fact]
    public async Task Owner_adds_members_and_every_member_after_the_change_gets_one_entry_per_added_user()
    {
        string g = await GroupAsync("alice", "bob");
        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["carol", "dave"], Add: true, 100, Tick()));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(["alice", "bob", "carol", "dave"], r.Channel!.Members);
        Assert.Equal(["alice", "bob", "carol", "dave"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(8, r.Appended.Count);

        foreach (string user in new[] { "alice", "bob" })
        {
            IReadOnlyList<WireEntry> entries = WireEntry.Of((await InboxAsync(Store, user, 1, 10)).Entries);
            Assert.Equal([("carol", "added", "alice"), ("dave", "added", "alice")],
                entries.Select(e => (e.User!, e.Change!, e.By!)).Order());
            Assert.Equal([2, 3], entries.Select(e => e.Seq));
        }

        foreach (string user in new[] { "carol", "dave" })
        {
            IReadOnlyList<WireEntry> entries = WireEntry.Of((await InboxAsync(Store, user, 0, 10)).Entries);
            Assert.Equal(["carol", "dave"], entries.Select(e => e.User!).Order(StringComparer.Ordinal));
            Assert.All(entries, e => Assert.Equal("member", e.Kind));
            Assert.Equal([1, 2], entries.Select(e => e.Seq));
        }
    }

    [Fact]
    public async Task Added_member_receives_later_messages_but_not_earlier_ones()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "before"));
        await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["carol"], Add: true, 100, Tick()));
        ChatMessage after = (await Store.CommitAsync(InChannel("bob", g, "after"))).Message!;

        IReadOnlyList<WireEntry> entries = WireEntry.Of((await InboxAsync(Store, "carol", 0, 10)).Entries);
        Assert.Equal(["member", "message"], entries.Select(e => e.Kind));
        Assert.Equal(after.Id, entries[1].MessageId);
        Assert.Equal(CommitStatus.Committed, (await Store.CommitAsync(InChannel("carol", g, "mine"))).Status);
    }

    [Fact]
    public async Task Only_the_owner_may_add()
    {
        string g = await GroupAsync("alice", "bob");
        long bobHead = await HeadAsync("bob");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "bob", ["carol"], Add: true, 100, Tick()));

        Assert.Equal(CommitStatus.Forbidden, r.Status);
        Assert.Empty(r.Appended);
        Assert.Equal(["alice", "bob"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(bobHead, await HeadAsync("bob"));
        Assert.Equal(0, await HeadAsync("carol"));
    }

    [Fact]
    public async Task A_non_member_may_not_change_members()
    {
        string g = await GroupAsync("alice", "bob");

        Assert.Equal(CommitStatus.NotMember, (await Store.ChangeMembersAsync(new MembershipChange(g, "mallory", ["mallory"], Add: true, 100, Tick()))).Status);
        Assert.Equal(CommitStatus.NotMember, (await Store.ChangeMembersAsync(new MembershipChange(g, "mallory", ["bob"], Add: false, 100, Tick()))).Status);
        Assert.Equal(["alice", "bob"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(0, await HeadAsync("mallory"));
    }

    [Fact]
    public async Task Changing_members_of_an_unknown_group_is_ChannelNotFound()
    {
        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange("g-404", "alice", ["bob"], Add: true, 100, Tick()));

        Assert.Equal(CommitStatus.ChannelNotFound, r.Status);
        Assert.Null(await Store.GetChannelAsync("g-404"));
        Assert.Equal(0, await HeadAsync("bob"));
    }

    [Fact]
    public async Task Adding_past_the_member_limit_is_TooManyMembers_and_adds_no_one()
    {
        string g = await GroupAsync("alice", "bob", "carol");
        long[] heads = [await HeadAsync("alice"), await HeadAsync("bob"), await HeadAsync("carol")];

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["dave", "erin"], Add: true, MaxMembers: 4, Tick()));

        Assert.Equal(CommitStatus.TooManyMembers, r.Status);
        Assert.Empty(r.Appended);
        Assert.Equal(["alice", "bob", "carol"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(heads, new[] { await HeadAsync("alice"), await HeadAsync("bob"), await HeadAsync("carol") });
        Assert.Equal(0, await HeadAsync("dave"));
        Assert.Equal(0, await HeadAsync("erin"));
        Assert.Empty(await Store.GetUserChannelsAsync("dave"));
    }

    [Fact]
    public async Task Adding_up_to_exactly_the_member_limit_succeeds()
    {
        string g = await GroupAsync("alice", "bob", "carol");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["dave"], Add: true, MaxMembers: 4, Tick()));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(4, (await Store.GetChannelAsync(g))!.Members.Count);
    }

    [Fact]
    public async Task Concurrent_adds_never_exceed_the_member_limit()
    {
        string g = await GroupAsync("alice", "bob");
        ChannelChangeResult[] results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Task.Run(async () => await Store.ChangeMembersAsync(new MembershipChange(g, "alice", [$"u{i}"], Add: true, MaxMembers: 5, Tick())))));

        Assert.Equal(3, results.Count(r => r.Status == CommitStatus.Committed));
        Assert.Equal(9, results.Count(r => r.Status == CommitStatus.TooManyMembers));
        ChatChannel channel = (await Store.GetChannelAsync(g))!;
        Assert.Equal(5, channel.Members.Count);
        Assert.Equal(5, channel.Members.Distinct().Count());
    }

    [Fact]
    public async Task Adding_only_existing_members_is_Unchanged_and_appends_nothing()
    {
        string g = await GroupAsync("alice", "bob");
        long head = await HeadAsync("bob");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["bob", "alice"], Add: true, 100, Tick()));

        Assert.Equal(CommitStatus.Unchanged, r.Status);
        Assert.Empty(r.Appended);
        Assert.Equal(head, await HeadAsync("bob"));
        Assert.Equal(["alice", "bob"], (await Store.GetChannelAsync(g))!.Members);
    }

    [Fact]
    public async Task Adding_a_mix_changes_and_announces_only_the_new_members()
    {
        string g = await GroupAsync("alice", "bob");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["bob", "carol"], Add: true, 100, Tick()));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(3, r.Appended.Count);
        Assert.All(r.Appended, a => Assert.Equal("carol", WireEntry.Of(a.Entry).User));
        WireEntry e = Assert.Single(WireEntry.Of((await InboxAsync(Store, "bob", 1, 10)).Entries));
        Assert.Equal(("carol", "added"), (e.User, e.Change));
    }

    [Fact]
    public async Task Owner_removes_a_member_who_gets_the_entry_as_do_the_remaining_members()
    {
        string g = await GroupAsync("alice", "bob", "carol");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["carol"], Add: false, 100, Tick()));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(["alice", "bob"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(["alice", "bob", "carol"], r.Appended.Select(a => a.User).Order(StringComparer.Ordinal));
        foreach (string user in new[] { "alice", "bob", "carol" })
        {
            WireEntry e = Assert.Single(WireEntry.Of((await InboxAsync(Store, user, 1, 10)).Entries));
            Assert.Equal(new WireEntry(2, "member", g, null, null, null, null, null, "carol", "removed", "alice"), e);
        }

        Assert.DoesNotContain(await Store.GetUserChannelsAsync("carol"), s => s.Channel.Id == g);
        Assert.Equal(CommitStatus.NotMember, (await Store.CommitAsync(InChannel("carol", g, "after"))).Status);

        // Later messages no longer reach the removed user.
        await Store.CommitAsync(InChannel("bob", g, "later"));
        Assert.Equal(2, await HeadAsync("carol"));
        Assert.Equal(3, await HeadAsync("bob"));
    }

    [Fact]
    public async Task A_member_may_leave()
    {
        string g = await GroupAsync("alice", "bob", "carol");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "bob", ["bob"], Add: false, 100, Tick()));

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(["alice", "carol"], (await Store.GetChannelAsync(g))!.Members);
        WireEntry e = Assert.Single(WireEntry.Of((await InboxAsync(Store, "bob", 1, 10)).Entries));
        Assert.Equal(("bob", "removed", "bob"), (e.User, e.Change, e.By));
    }

    [Fact]
    public async Task A_member_may_not_remove_others()
    {
        string g = await GroupAsync("alice", "bob", "carol");

        Assert.Equal(CommitStatus.Forbidden, (await Store.ChangeMembersAsync(new MembershipChange(g, "bob", ["carol"], Add: false, 100, Tick()))).Status);
        Assert.Equal(CommitStatus.Forbidden, (await Store.ChangeMembersAsync(new MembershipChange(g, "bob", ["bob", "carol"], Add: false, 100, Tick()))).Status);
        Assert.Equal(["alice", "bob", "carol"], (await Store.GetChannelAsync(g))!.Members);
        Assert.Equal(1, await HeadAsync("carol"));
        Assert.Equal(1, await HeadAsync("bob"));
    }

    [Fact]
    public async Task Removing_non_members_is_Unchanged()
    {
        string g = await GroupAsync("alice", "bob");

        ChannelChangeResult r = await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["zed"], Add: false, 100, Tick()));

        Assert.Equal(CommitStatus.Unchanged, r.Status);
        Assert.Empty(r.Appended);
        Assert.Equal(0, await HeadAsync("zed"));
        Assert.Equal(1, await HeadAsync("bob"));
    }

    [Fact]
    public async Task An_owner_who_leaves_hands_the_group_to_the_longest_standing_member()
    {
        string g = await GroupAsync("alice", "bob", "carol");

        Assert.Equal(CommitStatus.Committed, (await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["alice"], Add: false, 100, Tick()))).Status);

        ChatChannel c = (await Store.GetChannelAsync(g))!;
        Assert.Equal("bob", c.Owner);
        Assert.Equal(CommitStatus.Committed, (await Store.ChangeMembersAsync(new MembershipChange(g, "bob", ["dave"], Add: true, 100, Tick()))).Status);
    }

    [Fact]
    public async Task Members_keep_their_join_order()
    {
        string g = await GroupAsync("alice", "bob", "carol");
        await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["bob"], Add: false, 100, Tick()));
        await Store.ChangeMembersAsync(new MembershipChange(g, "alice", ["zoe", "bob"], Add: true, 100, Tick()));

        Assert.Equal(["alice", "carol", "zoe", "bob"], (await Store.GetChannelAsync(g))!.Members);
    }

    // ---------------------------------------------------------------- read marks

    [Fact]
    public async Task MarkRead_moves_forward_and_appends_a_read_entry_to_the_reader_only()
    {
        string g = await GroupAsync("alice", "bob");
        for (int i = 0; i < 3; i++)
        {
            await Store.CommitAsync(InChannel("alice", g, $"m{i}"));
        }

        long aliceHead = await HeadAsync("alice");
        ReadMarkResult r = await Store.MarkReadAsync("bob", g, 2, Tick());

        Assert.Equal(CommitStatus.Committed, r.Status);
        Assert.Equal(g, r.Channel!.Id);
        AppendedEntry appended = Assert.Single(r.Appended);
        Assert.Equal("bob", appended.User);
        Assert.Equal(new WireEntry(5, "read", g, null, null, null, null, 2, null, null, null), WireEntry.Of(appended.Entry));
        Assert.Equal(new WireEntry(5, "read", g, null, null, null, null, 2, null, null, null),
            WireEntry.Of(Assert.Single((await InboxAsync(Store, "bob", 4, 10)).Entries)));
        Assert.Equal(aliceHead, await HeadAsync("alice"));
        Assert.Equal(2, (await SummaryAsync("bob", g)).ReadSeq);
    }

    [Fact]
    public async Task MarkRead_never_moves_backwards()
    {
        string g = await GroupAsync("alice", "bob");
        for (int i = 0; i < 3; i++)
        {
            await Store.CommitAsync(InChannel("alice", g, $"m{i}"));
        }

        await Store.MarkReadAsync("bob", g, 3, Tick());
        long head = await HeadAsync("bob");

        ReadMarkResult lower = await Store.MarkReadAsync("bob", g, 1, Tick());
        ReadMarkResult same = await Store.MarkReadAsync("bob", g, 3, Tick());

        Assert.Equal(CommitStatus.Unchanged, lower.Status);
        Assert.Equal(CommitStatus.Unchanged, same.Status);
        Assert.Empty(lower.Appended);
        Assert.Empty(same.Appended);
        Assert.Equal(head, await HeadAsync("bob"));
        Assert.Equal(3, (await SummaryAsync("bob", g)).ReadSeq);
    }

    [Fact]
    public async Task MarkRead_past_the_last_message_is_OutOfRange()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "m"));
        long head = await HeadAsync("bob");

        ReadMarkResult r = await Store.MarkReadAsync("bob", g, 2, Tick());

        Assert.Equal(CommitStatus.OutOfRange, r.Status);
        Assert.Empty(r.Appended);
        Assert.Equal(head, await HeadAsync("bob"));
        Assert.Equal(0, (await SummaryAsync("bob", g)).ReadSeq);
    }

    [Fact]
    public async Task MarkRead_refuses_unknown_channels_and_non_members()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "m"));

        Assert.Equal(CommitStatus.ChannelNotFound, (await Store.MarkReadAsync("bob", "g-999", 1, Tick())).Status);
        Assert.Equal(CommitStatus.NotMember, (await Store.MarkReadAsync("mallory", g, 1, Tick())).Status);
        Assert.Equal(0, await HeadAsync("mallory"));
    }

    [Fact]
    public async Task Concurrent_read_marks_end_at_the_highest_and_append_one_entry_per_move()
    {
        string g = await GroupAsync("alice", "bob");
        for (int i = 0; i < 20; i++)
        {
            await Store.CommitAsync(InChannel("alice", g, $"m{i}"));
        }

        long before = await HeadAsync("bob");
        ReadMarkResult[] results = await Task.WhenAll(Enumerable.Range(1, 20).Select(upTo =>
            Task.Run(async () => await Store.MarkReadAsync("bob", g, upTo, Tick()))));

        Assert.Equal(20, (await SummaryAsync("bob", g)).ReadSeq);
        int moved = results.Count(r => r.Status == CommitStatus.Committed);
        Assert.Equal(before + moved, await HeadAsync("bob"));
        IReadOnlyList<WireEntry> reads = WireEntry.Of((await InboxAsync(Store, "bob", before, 100)).Entries);
        Assert.Equal(reads.Select(e => e.UpTo!.Value).Order(), reads.Select(e => e.UpTo!.Value)); // increasing
        Assert.Equal(20, reads[^1].UpTo);
    }

    // ---------------------------------------------------------------- history

    [Fact]
    public async Task History_pages_backwards_ascending_with_before_exclusive_and_hasMore()
    {
        string g = await GroupAsync("alice", "bob");
        for (int i = 1; i <= 10; i++)
        {
            await Store.CommitAsync(InChannel("alice", g, $"m{i}", body: $"b{i}"));
        }

        HistoryPage newest = await Store.GetHistoryAsync(g, null, 3);
        Assert.Equal([8, 9, 10], newest.Messages.Select(m => m.ChannelSeq));
        Assert.Equal(["b8", "b9", "b10"], newest.Messages.Select(m => m.Body));
        Assert.True(newest.HasMore);

        HistoryPage older = await Store.GetHistoryAsync(g, 8, 3);
        Assert.Equal([5, 6, 7], older.Messages.Select(m => m.ChannelSeq));
        Assert.True(older.HasMore);

        HistoryPage oldest = await Store.GetHistoryAsync(g, 3, 5);
        Assert.Equal([1, 2], oldest.Messages.Select(m => m.ChannelSeq));
        Assert.False(oldest.HasMore);

        HistoryPage exact = await Store.GetHistoryAsync(g, 4, 3);
        Assert.Equal([1, 2, 3], exact.Messages.Select(m => m.ChannelSeq));
        Assert.False(exact.HasMore);

        HistoryPage all = await Store.GetHistoryAsync(g, 1000, 200);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), all.Messages.Select(m => m.ChannelSeq));
        Assert.False(all.HasMore);

        HistoryPage none = await Store.GetHistoryAsync(g, 1, 10);
        Assert.Empty(none.Messages);
        Assert.False(none.HasMore);
    }

    [Fact]
    public async Task History_of_an_empty_or_unknown_channel_is_empty()
    {
        string g = await GroupAsync("alice");
        Assert.Empty((await Store.GetHistoryAsync(g, null, 50)).Messages);
        Assert.False((await Store.GetHistoryAsync(g, null, 50)).HasMore);
        Assert.Empty((await Store.GetHistoryAsync("g-31337", null, 50)).Messages);
    }

    [Fact]
    public async Task History_skips_deleted_messages_and_hasMore_ignores_them()
    {
        string g = await GroupAsync("alice", "bob");
        for (int i = 1; i <= 6; i++)
        {
            await Store.CommitAsync(InChannel("alice", g, $"m{i}"));
        }

        Assert.True(await Store.DeleteMessageAsync(g, 5));
        Assert.True(await Store.DeleteMessageAsync(g, 1));
        Assert.True(await Store.DeleteMessageAsync(g, 2));

        HistoryPage newest = await Store.GetHistoryAsync(g, null, 2);
        Assert.Equal([4, 6], newest.Messages.Select(m => m.ChannelSeq));
        Assert.True(newest.HasMore);

        HistoryPage rest = await Store.GetHistoryAsync(g, 4, 2);
        Assert.Equal([3], rest.Messages.Select(m => m.ChannelSeq));
        Assert.False(rest.HasMore);
    }

    // ---------------------------------------------------------------- delete

    [Fact]
    public async Task DeleteMessage_deletes_once_and_never_reuses_the_channelSeq()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "m1"));
        await Store.CommitAsync(InChannel("alice", g, "m2"));

        Assert.True(await Store.DeleteMessageAsync(g, 2));
        Assert.False(await Store.DeleteMessageAsync(g, 2));
        Assert.False(await Store.DeleteMessageAsync(g, 3));
        Assert.False(await Store.DeleteMessageAsync(g, 0));
        Assert.False(await Store.DeleteMessageAsync("g-404", 1));

        CommitResult next = await Store.CommitAsync(InChannel("alice", g, "m3"));
        Assert.Equal(3, next.Message!.ChannelSeq);
        Assert.Equal([1, 3], (await Store.GetHistoryAsync(g, null, 10)).Messages.Select(m => m.ChannelSeq));
        Assert.Equal(3, (await Store.GetChannelAsync(g))!.LastSeq);
    }

    [Fact]
    public async Task A_deleted_message_still_dedupes_its_retry()
    {
        string g = await GroupAsync("alice", "bob");
        ChatMessage first = (await Store.CommitAsync(InChannel("alice", g, "k"))).Message!;
        await Store.DeleteMessageAsync(g, 1);

        CommitResult retry = await Store.CommitAsync(InChannel("alice", g, "k"));

        Assert.Equal(CommitStatus.Duplicate, retry.Status);
        Assert.Equal(first.Id, retry.Message!.Id);
        Assert.Empty((await Store.GetHistoryAsync(g, null, 10)).Messages);
    }

    // ---------------------------------------------------------------- inbox paging and retention

    [Fact]
    public async Task ReadInbox_pages_ascending_after_the_cursor()
    {
        await FillDirectAsync("alice", "bob", 10);

        InboxPage first = await InboxAsync(Store, "bob", 0, 4);
        Assert.Equal([1, 2, 3, 4], first.Entries.Select(e => e.Seq));
        Assert.True(first.HasMore);
        Assert.Equal(new InboxState(10, 1), first.State);

        InboxPage middle = await InboxAsync(Store, "bob", 4, 4);
        Assert.Equal([5, 6, 7, 8], middle.Entries.Select(e => e.Seq));

        InboxPage last = await InboxAsync(Store, "bob", 8, 100);
        Assert.Equal([9, 10], last.Entries.Select(e => e.Seq));
        Assert.False(last.HasMore);

        InboxPage atHead = await InboxAsync(Store, "bob", 10, 100);
        Assert.Empty(atHead.Entries);
        Assert.False(atHead.HasMore);
        Assert.Equal(10, atHead.State.Head);

        InboxPage beyond = await InboxAsync(Store, "bob", 50, 100);
        Assert.Empty(beyond.Entries);
        Assert.Equal(10, beyond.State.Head);
    }

    [Fact]
    public async Task ReadInbox_with_limit_zero_reads_only_the_bounds()
    {
        await FillDirectAsync("alice", "bob", 3);

        InboxPage page = await InboxAsync(Store, "bob", 0, 0);

        Assert.Empty(page.Entries);
        Assert.Equal(new InboxState(3, 1), page.State);
    }

    [Fact]
    public async Task ReadInbox_of_an_unknown_user_is_empty_with_head_zero()
    {
        InboxPage page = await InboxAsync(Store, "nobody", 0, 10);

        Assert.Empty(page.Entries);
        Assert.Equal(0, page.State.Head);
        Assert.Equal(1, page.State.FirstSeq);
        Assert.False(page.State.NeedsReset(0));
        Assert.True(page.State.NeedsReset(1));
    }

    [Fact]
    public async Task Inbox_keeps_the_newest_InboxRetentionCount_entries_and_older_cursors_need_reset()
    {
        IMessageStore store = await NewStoreAsync(new ChatKitOptions { InboxRetentionCount = 5 });
        for (int i = 0; i < 12; i++)
        {
            await store.CommitAsync(Direct("alice", "bob", $"m{i}"));
        }

        InboxPage page = await InboxAsync(store, "bob", 0, 100);
        Assert.Equal(new InboxState(12, 8), page.State);
        Assert.Equal([8, 9, 10, 11, 12], page.Entries.Select(e => e.Seq));
        Assert.Equal([8, 9, 10, 11, 12], WireEntry.Of(page.Entries).Select(e => e.ChannelSeq!.Value));

        Assert.True(page.State.NeedsReset(0));
        Assert.True(page.State.NeedsReset(6));
        Assert.False(page.State.NeedsReset(7));
        Assert.False(page.State.NeedsReset(12));
        Assert.True(page.State.NeedsReset(13));

        // Messages themselves stay in history.
        Assert.Equal(12, (await store.GetHistoryAsync("d:alice:bob", null, 200)).Messages.Count);
    }

    [Fact]
    public async Task Inbox_drops_entries_older_than_InboxRetentionAge_but_keeps_the_newest()
    {
        IMessageStore store = await NewStoreAsync(new ChatKitOptions { InboxRetentionAge = TimeSpan.FromHours(1) });
        for (int i = 0; i < 4; i++)
        {
            await store.CommitAsync(Direct("alice", "bob", $"old{i}"));
        }

        Assert.Equal(new InboxState(4, 1), (await InboxAsync(store, "bob", 0, 0)).State);

        _now += TimeSpan.FromMinutes(30);
        await store.CommitAsync(Direct("alice", "bob", "recent"));
        Assert.Equal(new InboxState(5, 1), (await InboxAsync(store, "bob", 0, 0)).State);

        _now += TimeSpan.FromMinutes(45); // the four old ones are now 75 min old, "recent" 45 min
        await store.CommitAsync(Direct("alice", "bob", "new"));

        InboxPage page = await InboxAsync(store, "bob", 0, 100);
        Assert.Equal(new InboxState(6, 5), page.State);
        Assert.Equal([5, 6], page.Entries.Select(e => e.Seq));
        Assert.True(page.State.NeedsReset(3));
        Assert.False(page.State.NeedsReset(4));

        _now += TimeSpan.FromHours(5);
        await store.CommitAsync(Direct("alice", "bob", "alone"));
        page = await InboxAsync(store, "bob", 0, 100);
        Assert.Equal(new InboxState(7, 7), page.State);
        Assert.Equal([7], page.Entries.Select(e => e.Seq));
    }

    // ---------------------------------------------------------------- channel list

    [Fact]
    public async Task Channel_list_is_sorted_by_newest_activity()
    {
        string g1 = await GroupAsync("alice", "bob");
        string g2 = await GroupAsync("alice", "carol");
        await Store.CommitAsync(Direct("alice", "dave", "d1"));
        await Store.CommitAsync(InChannel("bob", g1, "x"));
        string g3 = await GroupAsync("erin", "alice"); // created last, no messages

        Assert.Equal([g3, g1, "d:alice:dave", g2], (await Store.GetUserChannelsAsync("alice")).Select(s => s.Channel.Id));

        await Store.CommitAsync(InChannel("carol", g2, "y"));
        Assert.Equal([g2, g3, g1, "d:alice:dave"], (await Store.GetUserChannelsAsync("alice")).Select(s => s.Channel.Id));
        Assert.Equal([g2], (await Store.GetUserChannelsAsync("carol")).Select(s => s.Channel.Id));
    }

    [Fact]
    public async Task Channel_list_counts_unread_after_the_read_mark_excluding_own_messages()
    {
        string g = await GroupAsync("alice", "bob");
        await Store.CommitAsync(InChannel("alice", g, "1"));
        await Store.CommitAsync(InChannel("bob", g, "2"));
        await Store.CommitAsync(InChannel("alice", g, "3"));
        ChatMessage last = (await Store.CommitAsync(InChannel("alice", g, "4"))).Message!;

        ChannelSummary bob = await SummaryAsync("bob", g);
        Assert.Equal(0, bob.ReadSeq);
        Assert.Equal(3, bob.Unread);
        Assert.Equal(last.Id, bob.LastMessage!.Id);
        Assert.Equal(4, bob.Channel.LastSeq);
        Assert.Equal(1, (await SummaryAsync("alice", g)).Unread);

        await Store.MarkReadAsync("bob", g, 3, Tick());
        bob = await SummaryAsync("bob", g);
        Assert.Equal(3, bob.ReadSeq);
        Assert.Equal(1, bob.Unread);

        await Store.MarkReadAsync("bob", g, 4, Tick());
        Assert.Equal(0, (await SummaryAsync("bob", g)).Unread);
        Assert.Equal(1, (await SummaryAsync("alice", g)).Unread); // marks are per user
    }

    [Fact]
    public async Task Channel_list_ignores_deleted_messages_in_unread_and_lastMessage()
    {
        string g = await GroupAsync("alice", "bob");
        ChatMessage first = (await Store.CommitAsync(InChannel("alice", g, "1"))).Message!;
        await Store.CommitAsync(InChannel("alice", g, "2"));
        await Store.DeleteMessageAsync(g, 2);

        ChannelSummary bob = await SummaryAsync("bob", g);
        Assert.Equal(1, bob.Unread);
        Assert.Equal(first.Id, bob.LastMessage!.Id);

        await Store.DeleteMessageAsync(g, 1);
        bob = await SummaryAsync("bob", g);
        Assert.Equal(0, bob.Unread);
        Assert.Null(bob.LastMessage);
    }

    [Fact]
    public async Task Channel_list_of_a_new_group_has_no_last_message_and_of_an_unknown_user_is_empty()
    {
        string g = await GroupAsync("alice", "bob");
        ChannelSummary s = await SummaryAsync("bob", g);

        Assert.Null(s.LastMessage);
        Assert.Equal(0, s.Unread);
        Assert.Equal(0, s.ReadSeq);
        Assert.Equal("alice", s.Channel.Owner);
        Assert.Empty(await Store.GetUserChannelsAsync("nobody"));
    }

    // ---------------------------------------------------------------- concurrency

    [Fact]
    public async Task Parallel_commits_into_one_group_reach_every_inbox_once_in_channelSeq_order()
    {
        string[] members = [.. Enumerable.Range(0, 10).Select(i => $"user{i}")];
        string g = await GroupAsync(members);
        const int senders = 8;
        int perSender = Math.Max(1, ConcurrentMessages / senders);

        CommitResult[][] results = await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            var mine = new CommitResult[perSender];
            for (int i = 0; i < perSender; i++)
            {
                mine[i] = await Store.CommitAsync(InChannel(members[s], g, $"s{s}-{i}"));
            }

            return mine;
        })));

        int total = senders * perSender;
        Assert.All(results.SelectMany(r => r), r => Assert.Equal(CommitStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), results.SelectMany(r => r).Select(r => r.Message!.ChannelSeq).Order());
        Assert.Equal(total, (await Store.GetChannelAsync(g))!.LastSeq);

        // Each sender's own messages got increasing channelSeqs.
        Assert.All(results, mine => Assert.Equal(mine.Select(r => r.Message!.ChannelSeq).Order(), mine.Select(r => r.Message!.ChannelSeq)));

        Dictionary<long, long> seqById = results.SelectMany(r => r).ToDictionary(r => r.Message!.Id, r => r.Message!.ChannelSeq);
        foreach (string member in members)
        {
            var entries = new List<WireEntry>();
            long after = 0;
            while (true)
            {
                InboxPage page = await InboxAsync(Store, member, after, 1000);
                entries.AddRange(WireEntry.Of(page.Entries));
                if (!page.HasMore)
                {
                    break;
                }

                after = page.Entries[^1].Seq;
            }

            Assert.Equal(Enumerable.Range(1, total + 1).Select(i => (long)i), entries.Select(e => e.Seq));
            List<WireEntry> messages = entries.Where(e => e.Kind == "message").ToList();
            Assert.Equal(total, messages.Count);
            Assert.Equal(total, messages.Select(e => e.MessageId).Distinct().Count());
            Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), messages.Select(e => e.ChannelSeq!.Value));
            Assert.All(messages, e => Assert.Equal(seqById[e.MessageId!.Value], e.ChannelSeq));
        }
    }

    [Fact]
    public async Task Parallel_first_commits_from_both_sides_create_one_direct_channel()
    {
        CommitResult[] results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
            await Store.CommitAsync(i % 2 == 0 ? Direct("alice", "bob", $"a{i}") : Direct("bob", "alice", $"b{i}")))));

        Assert.All(results, r => Assert.Equal(CommitStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), results.Select(r => r.Message!.ChannelSeq).Order());
        Assert.Single(await Store.GetUserChannelsAsync("alice"));
        Assert.Equal(20, await HeadAsync("alice"));
        Assert.Equal(20, await HeadAsync("bob"));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Advances the test clock by one millisecond and returns it.</summary>
    protected DateTimeOffset Tick()
    {
        lock (_stores)
        {
            _now += TimeSpan.FromMilliseconds(1);
            return _now;
        }
    }

    /// <summary>A fresh message id, increasing.</summary>
    protected long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>A message from <paramref name="from"/> to <paramref name="to"/> in their direct channel.</summary>
    /// <param name="from">The sender.</param>
    /// <param name="to">The recipient.</param>
    /// <param name="clientMsgId">The idempotency key.</param>
    protected MessageDraft Direct(string from, string to, string clientMsgId)
    {
        string id = ChannelIds.Direct(from, to);
        ChannelIds.TryParseDirect(id, out string low, out string high);
        return new MessageDraft(NextId(), id, (low, high), from, "dev1", "hello " + clientMsgId, null, clientMsgId, Tick());
    }

    /// <summary>A message into an existing channel.</summary>
    /// <param name="from">The sender.</param>
    /// <param name="channelId">The channel.</param>
    /// <param name="clientMsgId">The idempotency key.</param>
    /// <param name="body">The body; by default derived from the key.</param>
    protected MessageDraft InChannel(string from, string channelId, string clientMsgId, string? body = null) =>
        new(NextId(), channelId, null, from, "dev1", body ?? "hello " + clientMsgId, null, clientMsgId, Tick());

    /// <summary>Creates a group in <see cref="Store"/> owned by the first member.</summary>
    /// <param name="members">The members, the owner first.</param>
    protected async Task<string> GroupAsync(params string[] members)
    {
        string id = ChannelIds.Group(NextId());
        ChannelChangeResult r = await Store.CreateGroupAsync(new GroupDraft(id, "group " + id, members[0], members, Tick()));
        Assert.Equal(CommitStatus.Committed, r.Status);
        return id;
    }

    /// <summary>The newest seq of a user's inbox in <see cref="Store"/>.</summary>
    /// <param name="user">The user.</param>
    protected async Task<long> HeadAsync(string user) => (await InboxAsync(Store, user, 0, 0)).State.Head;

    /// <summary>Reads an inbox once the fan-out has settled (see <see cref="WaitForFanoutAsync"/>).</summary>
    /// <param name="store">The store.</param>
    /// <param name="user">The inbox owner.</param>
    /// <param name="afterSeq">The cursor.</param>
    /// <param name="limit">The page size.</param>
    protected async Task<InboxPage> InboxAsync(IMessageStore store, string user, long afterSeq, int limit)
    {
        await WaitForFanoutAsync(store);
        return await store.ReadInboxAsync(user, afterSeq, limit);
    }

    private async Task<ChannelSummary> SummaryAsync(string user, string channelId) =>
        Assert.Single(await Store.GetUserChannelsAsync(user), s => s.Channel.Id == channelId);

    private async Task FillDirectAsync(string from, string to, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(CommitStatus.Committed, (await Store.CommitAsync(Direct(from, to, $"fill{i}"))).Status);
        }
    }
}
