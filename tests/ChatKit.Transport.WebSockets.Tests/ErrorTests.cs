using System.Text.Json;
using ChatKit.Messaging;
using ChatKit.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class ErrorTests
{
    [Theory]
    [InlineData("not json at all", null)]
    [InlineData("""{"type":"send","rid":"r7","body":""", "r7")]
    [InlineData("""{"rid":"r8","type":"nope"}""", "r8")]
    [InlineData("""{"rid":"r9"}""", "r9")]
    [InlineData("""{"type":"ping","rid":"r10","limit":"many"}""", "r10")]
    [InlineData("""{"type":"ping","rid":12}""", null)]
    [InlineData("""{"type":"ping","rid":""}""", null)]
    [InlineData("""[1,2,3]""", null)]
    [InlineData("""null""", null)]
    [InlineData("""{"type":"welcome","rid":"r11"}""", "r11")]
    [InlineData("""{"type":"send"}""", null)]
    public async Task Bad_frames_get_bad_request_with_their_rid_when_readable(string frame, string? rid)
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await alice.SendTextAsync(frame);
        JsonElement error = await alice.WaitAsync(f => f.Type() == "error");
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Equal(rid, error.Str("rid"));
        Assert.False(string.IsNullOrEmpty(error.Str("message")));
        Assert.Equal("pong", (await alice.RequestAsync("ping")).Type());
    }

    [Fact]
    public async Task Frames_nested_deeper_than_the_limit_are_bad_requests()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        string deep = new string('[', 100) + new string(']', 100);
        await alice.SendTextAsync("""{"rid":"d1","type":"send","to":"bob","body":"x","clientMsgId":"c","meta":{"a":""" + deep + "}}");
        JsonElement error = await alice.WaitAsync(f => f.Type() == "error");
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Equal("d1", error.Str("rid"));
        Assert.Empty((await alice.OkAsync("channels")).GetProperty("channels").EnumerateArray());
    }

    [Fact]
    public async Task Every_error_code_of_the_protocol_is_reachable_and_changes_nothing()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(
            o =>
            {
                o.MaxBodyChars = 10;
                o.MaxGroupMembers = 2;
                o.RateLimit.PermitsPerSecond = 0.5;
                o.RateLimit.Burst = 6;
            },
            services: s => s.AddSingleton<IMessageFilter, FaultyFilter>());
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");
        await using TestClient carol = await host.ConnectAsync("carol");

        Assert.Equal("bad_request", (await alice.RequestAsync("send", new { to = "bob", body = "", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("send", new { to = "bob", channel = "d:alice:bob", body = "x", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("send", new { to = "b o b", body = "x", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("send", new { to = "bob", body = "x", clientMsgId = "c0", meta = new[] { 1 } })).Str("code"));
        Assert.Equal("too_large", (await alice.RequestAsync("send", new { to = "bob", body = new string('x', 11), clientMsgId = "c0" })).Str("code"));
        Assert.Equal("internal", (await alice.RequestAsync("send", new { to = "bob", body = "boom", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("unavailable", (await alice.RequestAsync("send", new { to = "bob", body = "down", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("not_found", (await alice.RequestAsync("send", new { channel = "g-1", body = "x", clientMsgId = "c0" })).Str("code"));

        JsonElement ok = await alice.OkAsync("send", new { to = "bob", body = "fine", clientMsgId = "c1" });
        Assert.Equal("forbidden", (await carol.RequestAsync("send", new { channel = "d:alice:bob", body = "x", clientMsgId = "c0" })).Str("code"));
        Assert.Equal("too_many_members", (await alice.RequestAsync("group.create", new { name = "G", members = new[] { "bob", "carol" } })).Str("code"));

        JsonElement limited = default;
        for (int i = 0; i < 10 && limited.ValueKind == JsonValueKind.Undefined; i++)
        {
            JsonElement r = await bob.RequestAsync("send", new { to = "alice", body = "r" + i, clientMsgId = "r" + i });
            if (r.Type() == "error")
            {
                limited = r;
            }
        }

        Assert.Equal("rate_limited", limited.Str("code"));
        Assert.True(limited.Long("retryAfterMs") > 0);

        // Nothing but the accepted messages exists.
        JsonElement history = await alice.OkAsync("history", new { channel = "d:alice:bob" });
        Assert.DoesNotContain(history.GetProperty("messages").EnumerateArray(), m => m.Str("clientMsgId") == "c0");
        Assert.Equal(ok.GetProperty("message").GetRawText(), history.GetProperty("messages")[0].GetRawText());
    }

    [Fact]
    public async Task Requests_other_than_ping_and_typing_need_a_rid()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await alice.SendTextAsync("""{"type":"send","to":"bob","body":"x","clientMsgId":"c"}""");
        JsonElement error = await alice.WaitAsync(f => f.Type() == "error");
        Assert.Equal("bad_request", error.Str("code"));
        await alice.SendTextAsync("""{"type":"ping"}""");
        JsonElement pong = await alice.WaitAsync(f => f.Type() == "pong");
        Assert.Null(pong.Str("rid"));
        Assert.Empty((await alice.OkAsync("channels")).GetProperty("channels").EnumerateArray());
    }

    [Fact]
    public async Task A_storm_of_bad_frames_never_changes_state_and_good_frames_reset_the_count()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        string[] garbage =
        [
            "{", "}", "\"send\"", "{\"type\":\"send\",\"rid\":\"x\",\"to\":\"bob\",\"body\":\"x\",\"clientMsgId\":\"c\",}",
            "{\"type\":\"group.create\",\"rid\":\"x\",\"name\":\"G\",\"members\":\"bob\"}", "{\"type\":1}", "\u0001", "{\"type\":\"send\"\"rid\":\"1\"}",
        ];
        for (int round = 0; round < 3; round++)
        {
            foreach (string g in garbage)
            {
                await alice.SendTextAsync(g);
            }

            await alice.OkAsync(FrameTypes.Ping);
        }

        Assert.Equal(3 * garbage.Length, alice.Frames().Count(f => f.Type() == "error"));
        Assert.Empty((await alice.OkAsync("channels")).GetProperty("channels").EnumerateArray());
        Assert.Equal(0, (await alice.OkAsync("sync", new { after = 0 })).Long("head"));
    }

    private sealed class FaultyFilter : IMessageFilter
    {
        public ValueTask<MessageFilterResult> OnSendingAsync(MessageFilterContext context, CancellationToken cancellationToken = default) => context.Body switch
        {
            "boom" => throw new InvalidOperationException("filter bug"),
            "down" => ValueTask.FromResult(MessageFilterResult.Reject("moderation service is down", ChatErrorCode.Unavailable)),
            _ => ValueTask.FromResult(MessageFilterResult.Accept),
        };
    }
}
