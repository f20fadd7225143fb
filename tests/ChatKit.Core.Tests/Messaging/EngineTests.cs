using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Specification;
using ChatKit.Sync;
using ChatKit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static ChatKit.Tests.Infrastructure.SessionReader;

namespace ChatKit.Tests.Messaging;

/// <summary>The engine's rules through <c>AddChatKit()</c>: idempotency, limits, hooks, unread counts, sync.</summary>
public sealed class EngineTests
{
    [Fact]
    public async Task Retrying_a_send_returns_the_first_message_and_stores_and_delivers_nothing_new()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob");
        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", null);
        Drain(bob);

        ChatMessage first = await f.SendAsync("alice", g, "retry-1", "original");
        ChatMessage again = await f.SendAsync("alice", g, "retry-1", "changed on retry");

        Assert.Equal(first.Id, again.Id);
        Assert.Equal("original", again.Body);
        Assert.Single((await f.Engine.GetHistoryAsync("bob", g)).Messages);
        Assert.Equal(2, await f.HeadAsync("bob"));
        List<JsonElement> frames = Drain(bob);
        Assert.Equal([2L], Entries(frames).Select(e => e.Seq));
    }

    [Fact]
    public async Task Retrying_a_direct_send_returns_the_first_message()
    {
        await using var f = ChatKitFixture.Create();
        ChatMessage first = await f.SendDirectAsync("alice", "bob", "k");
        ChatMessage again = await f.SendDirectAsync("alice", "bob", "k");

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(1, await f.HeadAsync("bob"));
    }

    [Fact]
    public async Task A_message_reaches_every_member_inbox_and_sessions_the_senders_other_devices_too()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob", "carol");
        ChatSession alicePhone = await f.Sessions.OpenAsync("alice", "phone", null);
        ChatSession aliceLaptop = await f.Sessions.OpenAsync("alice", "laptop", null);
        ChatSession carol = await f.Sessions.OpenAsync("carol", "phone", null);

        ChatMessage m = await f.Engine.SendAsync(new SendMessageRequest("alice", "phone", null, g, "hello", "c1", """{"reply":"x"}"""));

        foreach (ChatSession s in new[] { alicePhone, aliceLaptop, carol })
        {
            WireEntry e = Assert.Single(Entries(await ReadThroughSeqAsync(s, 2)));
            Assert.Equal(("message", m.Id, 1L, "alice", "hello"), (e.Kind, e.MessageId!.Value, e.ChannelSeq!.Value, e.From!, e.Body!));
        }

        Assert.Equal(2, await f.HeadAsync("bob"));
        Assert.Equal("phone", m.Device);
    }

    [Fact]
    public async Task Rate_limit_refuses_with_retryAfter_and_recovers_with_time()
    {
        await using var f = ChatKitFixture.Create(o =>
        {
            o.RateLimit.PermitsPerSecond = 2;
            o.RateLimit.Burst = 3;
        }, fakeClock: true);
        string g = await f.GroupAsync("alice", "bob"); // takes one token
        await f.SendAsync("alice", g, "1");
        await f.SendAsync("alice", g, "2");

        string before = await StateSnapshot.TakeAsync(f.Store, "alice", "bob");
        ChatException ex = await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("alice", g, "3"));
        Assert.Equal(ChatErrorCode.RateLimited, ex.Code);
        Assert.NotNull(ex.RetryAfter);
        Assert.InRange(ex.RetryAfter.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
        Assert.Equal(before, await StateSnapshot.TakeAsync(f.Store, "alice", "bob"));

        // Another user has a bucket of their own.
        await f.SendAsync("bob", g, "b1");

        f.Clock!.Advance(ex.RetryAfter.Value);
        await f.SendAsync("alice", g, "3");
        await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("alice", g, "4"));
    }

    [Fact]
    public async Task Rate_limit_also_guards_typing_and_group_changes()
    {
        await using var f = ChatKitFixture.Create(o =>
        {
            o.RateLimit.PermitsPerSecond = 1;
            o.RateLimit.Burst = 1;
        }, fakeClock: true);
        string g = await f.GroupAsync("alice", "bob");

        Assert.Equal(ChatErrorCode.RateLimited, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.TypingAsync("alice", g))).Code);
        Assert.Equal(ChatErrorCode.RateLimited, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.AddMembersAsync("alice", g, ["carol"]))).Code);
        Assert.DoesNotContain("carol", (await f.Store.GetChannelAsync(g))!.Members);
    }

    [Fact]
    public async Task A_filter_can_reject_with_its_own_code_and_nothing_is_stored()
    {
        await using var f = ChatKitFixture.Create(services: s =>
            s.AddSingleton<IMessageFilter>(new DelegateFilter(c => c.Body.Contains("spam", StringComparison.Ordinal)
                ? MessageFilterResult.Reject("No spam.", ChatErrorCode.BadRequest)
                : MessageFilterResult.Accept)));
        string g = await f.GroupAsync("alice", "bob");
        string before = await StateSnapshot.TakeAsync(f.Store, "alice", "bob");

        ChatException ex = await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("alice", g, "k", "buy spam now"));

        Assert.Equal(ChatErrorCode.BadRequest, ex.Code);
        Assert.Equal("No spam.", ex.Message);
        Assert.Equal(before, await StateSnapshot.TakeAsync(f.Store, "alice", "bob"));
        await f.SendAsync("alice", g, "k", "fine");
    }

    [Fact]
    public async Task A_filter_rejects_with_forbidden_by_default_and_the_first_rejection_wins()
    {
        var second = new DelegateFilter(_ => MessageFilterResult.Reject("second"));
        await using var f = ChatKitFixture.Create(services: s =>
        {
            s.AddSingleton<IMessageFilter>(new DelegateFilter(_ => MessageFilterResult.Reject("first")));
            s.AddSingleton<IMessageFilter>(second);
        });
        string g = await f.GroupAsync("alice", "bob");

        ChatException ex = await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("alice", g, "k"));

        Assert.Equal(ChatErrorCode.Forbidden, ex.Code);
        Assert.Equal("first", ex.Message);
        Assert.Equal(0, second.Calls);
    }

    [Fact]
    public async Task Filters_rewrite_in_order_and_the_rewritten_message_is_what_everyone_gets()
    {
        await using var f = ChatKitFixture.Create(services: s =>
        {
            s.AddSingleton<IMessageFilter>(new DelegateFilter(c =>
            {
                c.Body = c.Body.Replace("darn", "d**n", StringComparison.Ordinal);
                return MessageFilterResult.Accept;
            }));
            s.AddSingleton<IMessageFilter>(new DelegateFilter(c =>
            {
                Assert.Equal("oh d**n", c.Body); // sees the first filter's rewrite
                Assert.Equal("alice", c.From);
                Assert.StartsWith("g-", c.ChannelId, StringComparison.Ordinal);
                c.MetaJson = """{"filtered":true}""";
                return MessageFilterResult.Accept;
            }));
        });
        string g = await f.GroupAsync("alice", "bob");
        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", 1);
        Drain(bob);

        ChatMessage m = await f.SendAsync("alice", g, "k", "oh darn");

        Assert.Equal("oh d**n", m.Body);
        Assert.Equal("""{"filtered":true}""", m.MetaJson);
        Assert.Equal("oh d**n", Assert.Single((await f.Engine.GetHistoryAsync("bob", g)).Messages).Body);
        Assert.Equal("oh d**n", Assert.Single(Entries(await ReadThroughSeqAsync(bob, 2))).Body);
    }

    [Theory]
    [InlineData("too-long-body", ChatErrorCode.TooLarge)]
    [InlineData("empty-body", ChatErrorCode.BadRequest)]
    [InlineData("bad-meta", ChatErrorCode.BadRequest)]
    [InlineData("big-meta", ChatErrorCode.TooLarge)]
    public async Task A_rewritten_message_is_validated_again(string rewrite, ChatErrorCode expected)
    {
        await using var f = ChatKitFixture.Create(o => { o.MaxBodyChars = 10; o.MaxMetaBytes = 16; }, s =>
            s.AddSingleton<IMessageFilter>(new DelegateFilter(c =>
            {
                switch (rewrite)
                {
                    case "too-long-body": c.Body = new string('x', 11); break;
                    case "empty-body": c.Body = ""; break;
                    case "bad-meta": c.MetaJson = "[1]"; break;
                    default: c.MetaJson = """{"a":"0123456789abc"}"""; break;
                }

                return MessageFilterResult.Accept;
            })));
        string g = await f.GroupAsync("alice", "bob");
        string before = await StateSnapshot.TakeAsync(f.Store, "alice", "bob");

        Assert.Equal(expected, (await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("alice", g, "k", "short"))).Code);
        Assert.Equal(before, await StateSnapshot.TakeAsync(f.Store, "alice", "bob"));
    }

    [Fact]
    public async Task Authorizer_decides_who_may_message_and_add_whom()
    {
        var authorizer = new RecordingAuthorizer();
        await using var f = ChatKitFixture.Create(services: s => s.AddSingleton<IChatAuthorizer>(authorizer));

        await f.SendDirectAsync("alice", "bob", "1");
        authorizer.Blocked.Add(("alice", "bob"));
        Assert.Equal(ChatErrorCode.Forbidden, (await Assert.ThrowsAsync<ChatException>(() => f.SendDirectAsync("alice", "bob", "2"))).Code);
        await f.SendDirectAsync("bob", "alice", "3"); // only that direction is blocked

        string g = await f.GroupAsync("alice", "carol");
        authorizer.Blocked.Add(("alice", "dave"));
        Assert.Equal(ChatErrorCode.Forbidden, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.AddMembersAsync("alice", g, ["dave"]))).Code);
        Assert.Equal(ChatErrorCode.Forbidden, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.CreateGroupAsync("alice", "x", ["dave"]))).Code);
        Assert.Contains(("message", "alice", "bob"), authorizer.Calls);
        Assert.Contains(("add", "alice", "carol"), authorizer.Calls);
        Assert.DoesNotContain(("add", "alice", "alice"), authorizer.Calls); // the creator is not "added" by itself
        Assert.Single(await f.Engine.GetChannelsAsync("carol"));
        Assert.Empty(await f.Engine.GetChannelsAsync("dave"));
    }

    [Fact]
    public async Task System_messages_need_no_membership_and_are_idempotent()
    {
        await using var f = ChatKitFixture.Create(o => o.SystemUserId = "bot");
        string g = await f.GroupAsync("alice", "bob");

        ChatMessage m = await f.Engine.SendSystemMessageAsync(g, "Welcome!", """{"kind":"notice"}""", "sys-1");
        ChatMessage again = await f.Engine.SendSystemMessageAsync(g, "Welcome again", null, "sys-1");
        ChatMessage other = await f.Engine.SendSystemMessageAsync(g, "Auto id");

        Assert.Equal("bot", m.From);
        Assert.Equal(m.Id, again.Id);
        Assert.NotEqual(m.Id, other.Id);
        Assert.Equal(["Welcome!", "Auto id"], (await f.Engine.GetHistoryAsync("bob", g)).Messages.Select(x => x.Body));
        Assert.Equal(2, (await f.Engine.GetChannelsAsync("alice"))[0].Unread);
    }

    [Fact]
    public async Task Group_lifecycle_through_the_engine()
    {
        await using var f = ChatKitFixture.Create(o => o.MaxGroupMembers = 3);
        ChannelSummary created = await f.Engine.CreateGroupAsync("alice", "Team", ["bob"]);
        string g = created.Channel.Id;
        Assert.Equal(ChannelKind.Group, created.Channel.Kind);
        Assert.Equal(0, created.Unread);

        ChannelSummary added = await f.Engine.AddMembersAsync("alice", g, ["carol"]);
        Assert.Equal(["alice", "bob", "carol"], added.Channel.Members);
        Assert.Equal(ChatErrorCode.TooManyMembers, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.AddMembersAsync("alice", g, ["dave"]))).Code);

        ChannelSummary left = await f.Engine.RemoveMembersAsync("bob", g, ["bob"]);
        Assert.Equal(["alice", "carol"], left.Channel.Members);
        Assert.Equal(ChatErrorCode.Forbidden, (await Assert.ThrowsAsync<ChatException>(() => f.SendAsync("bob", g, "x"))).Code);
        Assert.Equal(ChatErrorCode.Forbidden, (await Assert.ThrowsAsync<ChatException>(() => f.Engine.GetHistoryAsync("bob", g))).Code);

        await f.Engine.AddMembersAsync("alice", g, ["dave"]);
        Assert.Equal(3, (await f.Store.GetChannelAsync(g))!.Members.Count);
    }

    [Fact]
    public async Task Unread_counts_follow_messages_and_read_marks()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob");
        await f.SendAsync("alice", g, "1");
        await f.SendAsync("alice", g, "2");
        await f.SendAsync("bob", g, "3");
        await f.SendDirectAsync("carol", "bob", "d");

        IReadOnlyList<ChannelSummary> bob = await f.Engine.GetChannelsAsync("bob");
        Assert.Equal(["d:bob:carol", g], bob.Select(s => s.Channel.Id));
        Assert.Equal([1L, 2L], bob.Select(s => s.Unread));
        Assert.Equal(1, (await f.Engine.GetChannelsAsync("alice")).Single().Unread);

        Assert.True(await f.Engine.MarkReadAsync("bob", g, 2));
        Assert.False(await f.Engine.MarkReadAsync("bob", g, 1));
        Assert.False(await f.Engine.MarkReadAsync("bob", g, 0));
        ChannelSummary s = (await f.Engine.GetChannelsAsync("bob")).Single(x => x.Channel.Id == g);
        Assert.Equal(2, s.ReadSeq);
        Assert.Equal(0, s.Unread);
        Assert.Equal("hi 3", s.LastMessage!.Body);
    }

    [Fact]
    public async Task Reading_appends_a_read_entry_for_the_readers_devices_and_a_receipt_for_the_others()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob", "carol");
        await f.SendAsync("alice", g, "1");
        ChatSession bobLaptop = await f.Sessions.OpenAsync("bob", "laptop", null);
        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        ChatSession carol = await f.Sessions.OpenAsync("carol", "phone", null);

        await f.Engine.MarkReadAsync("bob", g, 1);

        WireEntry read = Assert.Single(Entries(await ReadThroughSeqAsync(bobLaptop, 3)));
        Assert.Equal(("read", g, 1L), (read.Kind, read.Channel, read.UpTo!.Value));
        foreach (ChatSession other in new[] { alice, carol })
        {
            JsonElement receipt = (await ReadUntilAsync(other, fs => fs.Any(x => Type(x) == "receipt"))).Single(x => Type(x) == "receipt");
            Assert.Equal("bob", receipt.GetProperty("user").GetString());
            Assert.Equal(1, receipt.GetProperty("upTo").GetInt64());
            Assert.Equal(g, receipt.GetProperty("channel").GetString());
        }

        Assert.DoesNotContain(Drain(bobLaptop), x => Type(x) == "receipt");
    }

    [Fact]
    public async Task Typing_goes_to_the_other_members_sessions_and_is_never_stored()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob");
        ChatSession alice = await f.Sessions.OpenAsync("alice", "phone", null);
        ChatSession bob = await f.Sessions.OpenAsync("bob", "phone", null);
        ChatSession outsider = await f.Sessions.OpenAsync("mallory", "phone", null);
        Drain(alice);
        Drain(bob);
        Drain(outsider);
        string before = await StateSnapshot.TakeAsync(f.Store, "alice", "bob");

        await f.Engine.TypingAsync("alice", g);

        JsonElement typing = Assert.Single(await ReadUntilAsync(bob, fs => fs.Count > 0));
        Assert.Equal("typing", Type(typing));
        Assert.Equal("alice", typing.GetProperty("user").GetString());
        Assert.Empty(Drain(alice));
        Assert.Empty(Drain(outsider));
        Assert.Equal(before, await StateSnapshot.TakeAsync(f.Store, "alice", "bob"));
    }

    [Fact]
    public async Task Sync_pages_the_inbox_and_answers_reset_for_bad_cursors()
    {
        await using var f = ChatKitFixture.Create(o => o.InboxRetentionCount = 5);
        for (int i = 0; i < 8; i++)
        {
            await f.SendDirectAsync("alice", "bob", $"m{i}");
        }

        SyncResult page = await f.Engine.SyncAsync("bob", 4, limit: 2);
        Assert.Equal([5L, 6L], page.Entries.Select(e => e.Seq));
        Assert.True(page.HasMore);
        Assert.False(page.Reset);
        Assert.Equal(8, page.Head);

        SyncResult rest = await f.Engine.SyncAsync("bob", 6);
        Assert.Equal([7L, 8L], rest.Entries.Select(e => e.Seq));
        Assert.False(rest.HasMore);

        foreach (long stale in new long[] { 0, 2, 9, 100 })
        {
            SyncResult reset = await f.Engine.SyncAsync("bob", stale);
            Assert.True(reset.Reset, $"after={stale}");
            Assert.Empty(reset.Entries);
            Assert.Equal(8, reset.Head);
        }

        SyncResult fresh = await f.Engine.SyncAsync("newcomer", 0);
        Assert.False(fresh.Reset);
        Assert.Empty(fresh.Entries);
        Assert.Equal(0, fresh.Head);
    }

    [Fact]
    public async Task Long_poll_returns_as_soon_as_an_entry_arrives_and_times_out_empty()
    {
        await using var f = ChatKitFixture.Create(fakeClock: true);
        Task<SyncResult> waiting = f.Engine.SyncAsync("bob", 0, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        await f.SendDirectAsync("alice", "bob", "wake");
        SyncResult woke = await waiting.WaitAsync(WaitLimit);
        Assert.Equal([1L], woke.Entries.Select(e => e.Seq));

        Task<SyncResult> idle = f.Engine.SyncAsync("bob", 1, wait: TimeSpan.FromSeconds(3));
        for (int i = 0; i < 100 && !idle.IsCompleted; i++)
        {
            await Task.Delay(10);
            f.Clock!.Advance(TimeSpan.FromMilliseconds(500));
        }

        SyncResult empty = await idle.WaitAsync(WaitLimit);
        Assert.Empty(empty.Entries);
        Assert.Equal(1, empty.Head);
    }

    [Fact]
    public async Task History_defaults_to_the_newest_50()
    {
        await using var f = ChatKitFixture.Create();
        string g = await f.GroupAsync("alice", "bob");
        for (int i = 0; i < 60; i++)
        {
            await f.SendAsync("alice", g, $"m{i}");
        }

        HistoryPage page = await f.Engine.GetHistoryAsync("bob", g);
        Assert.Equal(Enumerable.Range(11, 50).Select(i => (long)i), page.Messages.Select(m => m.ChannelSeq));
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task Push_tokens_register_for_enabled_providers()
    {
        await using var f = ChatKitFixture.Create(services: s => s.AddSingleton<ChatKit.Push.IPushSender>(new NullPushSender()));
        await f.Engine.RegisterPushTokenAsync("bob", "phone", "test", "tok");
        var tokens = f.Services.GetRequiredService<ChatKit.Push.IPushTokenStore>();
        Assert.Equal("tok", Assert.Single(await tokens.GetTokensAsync("bob")).Token);

        await f.Engine.UnregisterPushTokenAsync("bob", "phone", "test", "tok");
        Assert.Empty(await tokens.GetTokensAsync("bob"));
    }

    [Fact]
    public async Task Logout_closes_only_that_devices_sessions()
    {
        await using var f = ChatKitFixture.Create();
        ChatSession p1 = await f.Sessions.OpenAsync("bob", "phone", null);
        ChatSession p2 = await f.Sessions.OpenAsync("bob", "phone", null);
        ChatSession laptop = await f.Sessions.OpenAsync("bob", "laptop", null);

        Assert.Equal(2, f.Engine.Logout("bob", "phone"));
        Assert.True(p1.CloseRequested.IsCancellationRequested);
        Assert.True(p2.CloseRequested.IsCancellationRequested);
        Assert.Equal(1000, p1.CloseCode);
        Assert.False(laptop.CloseRequested.IsCancellationRequested);
    }

    private sealed class DelegateFilter(Func<MessageFilterContext, MessageFilterResult> verdict) : IMessageFilter
    {
        public int Calls { get; private set; }

        public ValueTask<MessageFilterResult> OnSendingAsync(MessageFilterContext context, CancellationToken cancellationToken = default)
        {
            Calls++;
            return new(verdict(context));
        }
    }

    private sealed class RecordingAuthorizer : IChatAuthorizer
    {
        public HashSet<(string, string)> Blocked { get; } = [];

        public List<(string, string, string)> Calls { get; } = [];

        public ValueTask<bool> CanMessageAsync(string from, string to, CancellationToken cancellationToken = default)
        {
            Calls.Add(("message", from, to));
            return new(!Blocked.Contains((from, to)));
        }

        public ValueTask<bool> CanAddMemberAsync(string actor, string user, CancellationToken cancellationToken = default)
        {
            Calls.Add(("add", actor, user));
            return new(!Blocked.Contains((actor, user)));
        }
    }

    private sealed class NullPushSender : ChatKit.Push.IPushSender
    {
        public string Provider => "test";

        public ValueTask<ChatKit.Push.PushResult> SendAsync(ChatKit.Push.PushToken token, ChatKit.Push.PushNotification notification, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
