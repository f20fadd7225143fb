using ChatKit.Fanout;
using ChatKit.Messaging;
using ChatKit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Tests.Messaging;

/// <summary>
/// Bad input to every public <see cref="IChatEngine"/> method gets a <see cref="ChatException"/> with the specific code
/// and changes nothing: every test compares what the users could observe before and after.
/// </summary>
public sealed class EngineValidationTests : IAsyncLifetime
{
    private static readonly string[] Observed = ["alice", "bob", "carol", "mallory", "system", "zed"];
    private ChatKitFixture _f = null!;
    private string _group = null!;

    public async Task InitializeAsync()
    {
        _f = ChatKitFixture.Create(o =>
        {
            o.MaxBodyChars = 100;
            o.MaxMetaBytes = 128;
            o.MaxGroupMembers = 4;
        }, s => s.AddSingleton<IChatAuthorizer>(new DenyingAuthorizer()));
        _group = await _f.GroupAsync("alice", "bob");
        await _f.SendAsync("alice", _group, "first");
        await _f.SendDirectAsync("alice", "bob", "d1");
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<ChatException> AssertRefusedAsync(ChatErrorCode code, Func<Task> call)
    {
        string before = await StateSnapshot.TakeAsync(_f.Store, Observed);
        ChatException ex = await Assert.ThrowsAsync<ChatException>(call);
        Assert.Equal(code, ex.Code);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.Equal(before, await StateSnapshot.TakeAsync(_f.Store, Observed));
        return ex;
    }

    private SendMessageRequest Request(string c) => c switch
    {
        "from-empty" => new("", "dev", null, _group, "x", "k"),
        "from-bad-char" => new("al:ice", "dev", null, _group, "x", "k"),
        "from-too-long" => new(new string('a', 65), "dev", null, _group, "x", "k"),
        "device-empty" => new("alice", "", null, _group, "x", "k"),
        "device-bad-char" => new("alice", "dev ice", null, _group, "x", "k"),
        "device-too-long" => new("alice", new string('d', 65), null, _group, "x", "k"),
        "cmid-empty" => new("alice", "dev", null, _group, "x", ""),
        "cmid-too-long" => new("alice", "dev", null, _group, "x", new string('k', 65)),
        "cmid-control" => new("alice", "dev", null, _group, "x", "k\n1"),
        "body-empty" => new("alice", "dev", null, _group, "", "k"),
        "meta-not-json" => new("alice", "dev", null, _group, "x", "k", "{nope"),
        "meta-array" => new("alice", "dev", null, _group, "x", "k", "[1,2]"),
        "meta-string" => new("alice", "dev", null, _group, "x", "k", "\"s\""),
        "meta-too-deep" => new("alice", "dev", null, _group, "x", "k", "{\"a\":" + new string('[', 40) + new string(']', 40) + "}"),
        "to-and-channel" => new("alice", "dev", "bob", _group, "x", "k"),
        "neither" => new("alice", "dev", null, null, "x", "k"),
        "to-bad" => new("alice", "dev", "b:ob", null, "x", "k"),
        "channel-bad" => new("alice", "dev", null, "general", "x", "k"),
        "channel-direct-malformed" => new("alice", "dev", null, "d:bob:alice", "x", "k"),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    [Theory]
    [InlineData("from-empty")]
    [InlineData("from-bad-char")]
    [InlineData("from-too-long")]
    [InlineData("device-empty")]
    [InlineData("device-bad-char")]
    [InlineData("device-too-long")]
    [InlineData("cmid-empty")]
    [InlineData("cmid-too-long")]
    [InlineData("cmid-control")]
    [InlineData("body-empty")]
    [InlineData("meta-not-json")]
    [InlineData("meta-array")]
    [InlineData("meta-string")]
    [InlineData("meta-too-deep")]
    [InlineData("to-and-channel")]
    [InlineData("neither")]
    [InlineData("to-bad")]
    [InlineData("channel-bad")]
    [InlineData("channel-direct-malformed")]
    public Task Send_with_malformed_input_is_bad_request(string c) =>
        AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendAsync(Request(c)));

    [Fact]
    public async Task Send_null_request_throws_ArgumentNullException()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => _f.Engine.SendAsync(null!));
    }

    [Fact]
    public async Task Send_with_a_body_over_the_limit_is_too_large_and_at_the_limit_is_accepted()
    {
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.SendAsync("alice", _group, "k", new string('x', 101)));
        ChatMessage m = await _f.SendAsync("alice", _group, "k", new string('x', 100));
        Assert.Equal(100, m.Body.Length);
    }

    [Fact]
    public async Task Body_length_counts_utf16_code_units()
    {
        // 50 emoji are 100 UTF-16 code units: at the limit. One more is over.
        string emoji = string.Concat(Enumerable.Repeat("😀", 50));
        await _f.SendAsync("alice", _group, "e1", emoji);
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.SendAsync("alice", _group, "e2", emoji + "a"));
    }

    [Fact]
    public async Task Send_with_meta_over_the_byte_limit_is_too_large()
    {
        string big = "{\"a\":\"" + new string('x', 121) + "\"}"; // 129 bytes
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.Engine.SendAsync(new SendMessageRequest("alice", "dev", null, _group, "x", "k", big)));
        string multiByte = "{\"a\":\"" + new string('é', 60) + "\"}"; // 68 chars, 128 bytes
        ChatMessage ok = await _f.Engine.SendAsync(new SendMessageRequest("alice", "dev", null, _group, "x", "k", multiByte));
        Assert.Equal(multiByte, ok.MetaJson);
        string tooManyBytes = "{\"a\":\"" + new string('é', 61) + "\"}"; // 69 chars, 130 bytes
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.Engine.SendAsync(new SendMessageRequest("alice", "dev", null, _group, "x", "k2", tooManyBytes)));
    }

    [Fact]
    public Task Send_to_an_unknown_group_is_not_found() =>
        AssertRefusedAsync(ChatErrorCode.NotFound, () => _f.SendAsync("alice", "g-123456", "k"));

    [Fact]
    public Task Send_by_a_non_member_is_forbidden() =>
        AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.SendAsync("mallory", _group, "k"));

    [Fact]
    public Task Send_into_someone_elses_direct_channel_is_forbidden() =>
        AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.SendAsync("mallory", "d:alice:bob", "k"));

    [Fact]
    public Task Send_to_a_user_the_authorizer_blocks_is_forbidden() =>
        AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.SendDirectAsync("alice", "zed", "k"));

    [Fact]
    public async Task Send_to_oneself_opens_the_direct_channel_with_oneself()
    {
        ChatMessage m = await _f.SendDirectAsync("carol", "carol", "self");
        Assert.Equal("d:carol:carol", m.ChannelId);
        Assert.Equal(1, await _f.HeadAsync("carol"));
    }

    [Fact]
    public async Task SendSystemMessage_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync("nope", "x"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync(null!, "x"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync(_group, ""));
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.Engine.SendSystemMessageAsync(_group, new string('x', 101)));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync(_group, "x", "[]"));
        await AssertRefusedAsync(ChatErrorCode.TooLarge, () => _f.Engine.SendSystemMessageAsync(_group, "x", "{\"a\":\"" + new string('x', 130) + "\"}"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync(_group, "x", null, new string('k', 65)));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SendSystemMessageAsync(_group, "x", null, ""));
        await AssertRefusedAsync(ChatErrorCode.NotFound, () => _f.Engine.SendSystemMessageAsync("g-99999", "x"));
    }

    [Theory]
    [InlineData("creator-bad", "x", "bob")]
    [InlineData("alice", "", "bob")]
    [InlineData("alice", "   ", "bob")]
    [InlineData("alice", "LONG", "bob")]
    [InlineData("alice", "x", "b ob")]
    [InlineData("alice", "x", "")]
    public async Task CreateGroup_with_malformed_input_is_bad_request(string creator, string name, string member)
    {
        if (name == "LONG")
        {
            name = new string('n', 101);
        }

        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.CreateGroupAsync(creator == "creator-bad" ? "" : creator, name, [member]));
    }

    [Fact]
    public async Task CreateGroup_refuses_null_members_too_many_members_and_blocked_members()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.CreateGroupAsync("alice", "x", null!));
        await AssertRefusedAsync(ChatErrorCode.TooManyMembers, () => _f.Engine.CreateGroupAsync("alice", "x", ["b1", "b2", "b3", "b4"]));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.CreateGroupAsync("alice", "x", ["bob", "zed"]));
    }

    [Fact]
    public async Task CreateGroup_at_the_member_limit_counts_the_creator_and_ignores_duplicates()
    {
        ChannelSummary s = await _f.Engine.CreateGroupAsync("alice", "Team", ["b1", "alice", "b2", "b1", "b3"]);

        Assert.Equal(["alice", "b1", "b2", "b3"], s.Channel.Members);
        Assert.Equal("alice", s.Channel.Owner);
        Assert.Equal("Team", s.Name());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Changing_members_refuses_bad_input(bool add)
    {
        Func<string, string, IReadOnlyCollection<string>, Task> change = add
            ? (a, c, u) => _f.Engine.AddMembersAsync(a, c, u)
            : (a, c, u) => _f.Engine.RemoveMembersAsync(a, c, u);

        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("", _group, ["carol"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", "nope", ["carol"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", "d:alice:bob", ["carol"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", _group, null!));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", _group, []));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", _group, ["ca rol"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => change("alice", _group, [.. Enumerable.Range(0, 1001).Select(i => $"u{i}")]));
        await AssertRefusedAsync(ChatErrorCode.NotFound, () => change("alice", "g-424242", ["bob"]));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => change("mallory", _group, ["bob"]));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => change("bob", _group, add ? ["carol"] : ["alice"]));
    }

    [Fact]
    public async Task Adding_past_the_member_limit_is_too_many_members()
    {
        await AssertRefusedAsync(ChatErrorCode.TooManyMembers, () => _f.Engine.AddMembersAsync("alice", _group, ["c1", "c2", "c3"]));
        await AssertRefusedAsync(ChatErrorCode.TooManyMembers, () => _f.Engine.AddMembersAsync("alice", _group, ["c1", "c2", "c3", "c4", "c5"]));
        ChannelSummary s = await _f.Engine.AddMembersAsync("alice", _group, ["c1", "c2"]);
        Assert.Equal(4, s.Channel.Members.Count);
    }

    [Fact]
    public Task Adding_a_user_the_authorizer_blocks_is_forbidden() =>
        AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.AddMembersAsync("alice", _group, ["carol", "zed"]));

    [Fact]
    public async Task Adding_existing_members_changes_nothing_and_returns_the_group()
    {
        string before = await StateSnapshot.TakeAsync(_f.Store, Observed);
        ChannelSummary s = await _f.Engine.AddMembersAsync("alice", _group, ["bob"]);
        Assert.Equal(_group, s.Channel.Id);
        Assert.Equal(before, await StateSnapshot.TakeAsync(_f.Store, Observed));
    }

    [Fact]
    public async Task GetHistory_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetHistoryAsync("", _group));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetHistoryAsync("alice", "x"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetHistoryAsync("alice", _group, limit: 0));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetHistoryAsync("alice", _group, limit: 201));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetHistoryAsync("alice", _group, before: 0));
        await AssertRefusedAsync(ChatErrorCode.NotFound, () => _f.Engine.GetHistoryAsync("alice", "g-5555"));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.GetHistoryAsync("mallory", _group));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.GetHistoryAsync("mallory", "d:alice:bob"));
        Assert.Single((await _f.Engine.GetHistoryAsync("bob", _group, limit: 200)).Messages);
    }

    [Fact]
    public async Task Sync_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("", 0));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("bob", -1));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("bob", 0, limit: 0));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("bob", 0, limit: 1001));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("bob", 0, wait: TimeSpan.FromMilliseconds(-1)));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SyncAsync("bob", 0, wait: TimeSpan.FromMilliseconds(30_001)));
    }

    [Fact]
    public Task GetChannels_refuses_a_bad_user() =>
        AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetChannelsAsync("a b"));

    [Fact]
    public async Task MarkRead_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.MarkReadAsync("", _group, 1));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.MarkReadAsync("bob", "x", 1));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.MarkReadAsync("bob", _group, -1));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.MarkReadAsync("bob", _group, 2));
        await AssertRefusedAsync(ChatErrorCode.NotFound, () => _f.Engine.MarkReadAsync("bob", "g-777777", 1));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.MarkReadAsync("mallory", _group, 1));
    }

    [Fact]
    public async Task Typing_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.TypingAsync("", _group));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.TypingAsync("bob", "x"));
        await AssertRefusedAsync(ChatErrorCode.NotFound, () => _f.Engine.TypingAsync("bob", "g-777777"));
        await AssertRefusedAsync(ChatErrorCode.Forbidden, () => _f.Engine.TypingAsync("mallory", _group));
    }

    [Fact]
    public async Task Presence_queries_refuse_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetPresenceAsync(null!));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetPresenceAsync(["ok", "not ok"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.GetPresenceAsync([.. Enumerable.Range(0, 1001).Select(i => $"u{i}")]));
        Assert.Equal(1000, (await _f.Engine.GetPresenceAsync([.. Enumerable.Range(0, 1000).Select(i => $"u{i}")])).Count);
    }

    [Fact]
    public async Task Presence_subscriptions_refuse_bad_input_and_more_than_1000_per_session()
    {
        ChatSession s = await _f.Sessions.OpenAsync("carol", "phone", null);
        await Assert.ThrowsAsync<ArgumentNullException>(() => _f.Engine.SubscribePresenceAsync(null!, ["bob"]));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SubscribePresenceAsync(s, null!));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SubscribePresenceAsync(s, ["b ob"]));
        await _f.Engine.SubscribePresenceAsync(s, [.. Enumerable.Range(0, 600).Select(i => $"u{i}")]);
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.SubscribePresenceAsync(s, [.. Enumerable.Range(500, 600).Select(i => $"u{i}")]));

        // The refused request subscribed nobody: there is still room for 400.
        await _f.Engine.SubscribePresenceAsync(s, [.. Enumerable.Range(600, 400).Select(i => $"u{i}")]);
        Assert.Throws<ChatException>(() => _f.Engine.UnsubscribePresence(s, ["b ob"]));
        Assert.Throws<ArgumentNullException>(() => _f.Engine.UnsubscribePresence(null!, ["bob"]));
        Assert.Throws<ArgumentNullException>(() => _f.Engine.Touch(null!));
    }

    [Fact]
    public async Task Push_token_registration_refuses_bad_input_and_unknown_providers()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("", "phone", "fcm", "t"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "", "fcm", "t"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "phone", "", "t"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "phone", "FCM", "t"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "phone", "fcm", ""));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "phone", "fcm", new string('t', 4097)));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.RegisterPushTokenAsync("bob", "phone", "fcm", "t")); // no fcm sender here
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.UnregisterPushTokenAsync("bob", "phone", "", "t"));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.UnregisterPushTokenAsync("bob", "phone", "fcm", ""));
        Assert.Empty(await _f.Services.GetRequiredService<ChatKit.Push.IPushTokenStore>().GetTokensAsync("bob"));
    }

    [Fact]
    public async Task DeleteMessage_refuses_bad_input()
    {
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.DeleteMessageAsync("x", 1));
        await AssertRefusedAsync(ChatErrorCode.BadRequest, () => _f.Engine.DeleteMessageAsync(_group, 0));
        Assert.False(await _f.Engine.DeleteMessageAsync("g-88888", 1));
        Assert.False(await _f.Engine.DeleteMessageAsync(_group, 2));
        Assert.True(await _f.Engine.DeleteMessageAsync(_group, 1));
        Assert.Empty((await _f.Engine.GetHistoryAsync("bob", _group)).Messages);
    }

    [Fact]
    public void Logout_refuses_bad_input()
    {
        Assert.Equal(ChatErrorCode.BadRequest, Assert.Throws<ChatException>(() => _f.Engine.Logout("", "phone")).Code);
        Assert.Equal(ChatErrorCode.BadRequest, Assert.Throws<ChatException>(() => _f.Engine.Logout("bob", "ph one")).Code);
        Assert.Equal(0, _f.Engine.Logout("bob", "phone"));
    }

    [Fact]
    public async Task Opening_a_session_refuses_bad_input()
    {
        Assert.Equal(ChatErrorCode.BadRequest, (await Assert.ThrowsAsync<ChatException>(() => _f.Sessions.OpenAsync("", "phone", null))).Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await Assert.ThrowsAsync<ChatException>(() => _f.Sessions.OpenAsync("bob", "", null))).Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await Assert.ThrowsAsync<ChatException>(() => _f.Sessions.OpenAsync("bob", "phone", -1))).Code);
        Assert.Equal(0, _f.Sessions.Count);
        Assert.False((await _f.Engine.GetPresenceAsync(["bob"]))[0].Online);
    }

    /// <summary>Blocks messaging and adding the user <c>zed</c>.</summary>
    private sealed class DenyingAuthorizer : IChatAuthorizer
    {
        public ValueTask<bool> CanMessageAsync(string from, string to, CancellationToken cancellationToken = default) => new(to != "zed");

        public ValueTask<bool> CanAddMemberAsync(string actor, string user, CancellationToken cancellationToken = default) => new(user != "zed");
    }
}

internal static class ChannelSummaryExtensions
{
    public static string? Name(this ChannelSummary s) => s.Channel.Name;
}
