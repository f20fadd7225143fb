using System.Text.Json;
using ChatKit.Protocol;
using ChatKit.Push;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class RequestTests
{
    [Fact]
    public async Task Send_to_a_user_replies_with_the_message_and_both_inboxes_get_an_entry()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");

        JsonElement ok = await alice.OkAsync("send", new { to = "bob", body = "hi bob", clientMsgId = "m1", meta = new { reply = "x" } });
        JsonElement m = ok.GetProperty("message");
        Assert.Equal("d:alice:bob", m.Str("channel"));
        Assert.Equal(1, m.Long("channelSeq"));
        Assert.Equal("alice", m.Str("from"));
        Assert.Equal("d1", m.Str("device"));
        Assert.Equal("hi bob", m.Str("body"));
        Assert.Equal("m1", m.Str("clientMsgId"));
        Assert.Equal("x", m.GetProperty("meta").Str("reply"));
        Assert.Equal(JsonValueKind.String, m.GetProperty("id").ValueKind);
        Assert.True(long.Parse(m.Str("id")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(m.Long("sentAt") > 1_700_000_000_000);

        JsonElement own = await alice.WaitAsync(f => f.IsEntry("message"));
        JsonElement theirs = await bob.WaitAsync(f => f.IsEntry("message"));
        Assert.Equal(1, own.Long("seq"));
        Assert.Equal(1, theirs.Long("seq"));
        Assert.Equal(m.GetRawText(), own.GetProperty("message").GetRawText());
        Assert.Equal(m.GetRawText(), theirs.GetProperty("message").GetRawText());

        // The sender's own entry is queued before the reply: replies and entries share one ordered queue.
        List<JsonElement> frames = alice.Frames();
        Assert.True(frames.FindIndex(f => f.IsEntry("message")) < frames.FindIndex(f => f.Type() == "ok"));
    }

    [Fact]
    public async Task Send_to_a_channel_to_oneself_and_retries_with_the_same_clientMsgId()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");

        JsonElement self = await alice.OkAsync("send", new { to = "alice", body = "note", clientMsgId = "n1" });
        Assert.Equal("d:alice:alice", self.GetProperty("message").Str("channel"));

        JsonElement first = await alice.OkAsync("send", new { channel = "d:alice:alice", body = "again", clientMsgId = "n2" });
        JsonElement retry = await alice.OkAsync("send", new { channel = "d:alice:alice", body = "again (retry)", clientMsgId = "n2" });
        Assert.Equal(first.GetProperty("message").GetRawText(), retry.GetProperty("message").GetRawText());

        await alice.WaitEntriesAsync(2);
        await alice.OkAsync(FrameTypes.Ping);
        Assert.Equal(2, alice.Entries().Count);
    }

    [Fact]
    public async Task History_pages_backwards_with_before_and_limit()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        for (int i = 1; i <= 5; i++)
        {
            await alice.OkAsync("send", new { to = "bob", body = "m" + i, clientMsgId = "c" + i });
        }

        JsonElement newest = await alice.OkAsync("history", new { channel = "d:alice:bob", limit = 2 });
        Assert.Equal(["m4", "m5"], newest.GetProperty("messages").EnumerateArray().Select(m => m.Str("body")));
        Assert.True(newest.Bool("hasMore"));

        JsonElement older = await alice.OkAsync("history", new { channel = "d:alice:bob", before = 4, limit = 10 });
        Assert.Equal(["m1", "m2", "m3"], older.GetProperty("messages").EnumerateArray().Select(m => m.Str("body")));
        Assert.False(older.Bool("hasMore"));

        JsonElement all = await alice.OkAsync("history", new { channel = "d:alice:bob" });
        Assert.Equal(5, all.GetProperty("messages").GetArrayLength());

        await using TestClient carol = await host.ConnectAsync("carol");
        JsonElement denied = await carol.RequestAsync("history", new { channel = "d:alice:bob" });
        Assert.Equal("forbidden", denied.Str("code"));
        JsonElement missing = await carol.RequestAsync("history", new { channel = "g-123" });
        Assert.Equal("not_found", missing.Str("code"));
        JsonElement badLimit = await alice.RequestAsync("history", new { channel = "d:alice:bob", limit = 201 });
        Assert.Equal("bad_request", badLimit.Str("code"));
    }

    [Fact]
    public async Task Sync_pulls_entries_after_a_cursor_and_answers_reset_for_a_stale_one()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.InboxRetentionCount = 3);
        await using TestClient alice = await host.ConnectAsync("alice");
        for (int i = 1; i <= 5; i++)
        {
            await alice.OkAsync("send", new { to = "bob", body = "m" + i, clientMsgId = "c" + i });
        }

        JsonElement page = await alice.OkAsync("sync", new { after = 2, limit = 2 });
        JsonElement[] entries = [.. page.GetProperty("entries").EnumerateArray()];
        Assert.Equal([3L, 4L], entries.Select(e => e.Long("seq")));
        Assert.All(entries, e => Assert.Equal("entry", e.Type()));
        Assert.Equal("m3", entries[0].GetProperty("message").Str("body"));
        Assert.Equal(5, page.Long("head"));
        Assert.True(page.Bool("hasMore"));
        Assert.False(page.Bool("reset"));

        JsonElement stale = await alice.OkAsync("sync", new { after = 0 });
        Assert.True(stale.Bool("reset"));
        Assert.Equal(5, stale.Long("head"));
        Assert.Equal(0, stale.GetProperty("entries").GetArrayLength());

        JsonElement ahead = await alice.OkAsync("sync", new { after = 9 });
        Assert.True(ahead.Bool("reset"));

        Assert.Equal("bad_request", (await alice.RequestAsync("sync", new { })).Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("sync", new { after = 1, limit = 1001 })).Str("code"));
    }

    [Fact]
    public async Task Channels_lists_newest_activity_first_with_read_marks_unread_and_last_message()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");
        JsonElement group = (await alice.OkAsync("group.create", new { name = "Team", members = new[] { "bob" } })).GetProperty("channel");
        string g = group.Str("id")!;
        await alice.OkAsync("send", new { to = "bob", body = "direct 1", clientMsgId = "c1" });
        await bob.OkAsync("send", new { to = "alice", body = "direct 2", clientMsgId = "c2" });
        await bob.OkAsync("send", new { to = "alice", body = "direct 3", clientMsgId = "c3" });
        await bob.OkAsync("send", new { channel = g, body = "group 1", clientMsgId = "c4" });

        JsonElement[] list = [.. (await alice.OkAsync("channels")).GetProperty("channels").EnumerateArray()];
        Assert.Equal([g, "d:alice:bob"], list.Select(c => c.Str("id")));
        JsonElement grp = list[0];
        Assert.Equal("group", grp.Str("kind"));
        Assert.Equal("Team", grp.Str("name"));
        Assert.Equal("alice", grp.Str("owner"));
        Assert.Equal(["alice", "bob"], grp.GetProperty("members").EnumerateArray().Select(m => m.GetString()).Order());
        Assert.Equal(1, grp.Long("lastSeq"));
        Assert.Equal(1, grp.Long("unread"));
        Assert.Equal("group 1", grp.GetProperty("lastMessage").Str("body"));

        JsonElement direct = list[1];
        Assert.Equal("direct", direct.Str("kind"));
        Assert.Equal("bob", direct.Str("name"));
        Assert.Equal(3, direct.Long("lastSeq"));
        Assert.Equal(0, direct.Long("readSeq"));
        Assert.Equal(2, direct.Long("unread")); // alice's own message does not count
        Assert.Equal("direct 3", direct.GetProperty("lastMessage").Str("body"));

        await alice.OkAsync("read", new { channel = "d:alice:bob", upTo = 2 });
        JsonElement after = (await alice.OkAsync("channels")).GetProperty("channels").EnumerateArray().Single(c => c.Str("id") == "d:alice:bob");
        Assert.Equal(2, after.Long("readSeq"));
        Assert.Equal(1, after.Long("unread"));

        JsonElement bobs = (await bob.OkAsync("channels")).GetProperty("channels").EnumerateArray().Single(c => c.Str("id") == "d:alice:bob");
        Assert.Equal("alice", bobs.Str("name"));
    }

    [Fact]
    public async Task Group_create_add_remove_and_leave_with_member_entries()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.MaxGroupMembers = 3);
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");
        await using TestClient carol = await host.ConnectAsync("carol");

        JsonElement created = (await alice.OkAsync("group.create", new { name = "G", members = new[] { "bob" } })).GetProperty("channel");
        string g = created.Str("id")!;
        Assert.Matches("^g-[0-9]+$", g);
        Assert.Equal("group", created.Str("kind"));
        Assert.Equal("alice", created.Str("owner"));
        JsonElement aliceAdded = await alice.WaitAsync(f => f.IsEntry("member"));
        Assert.Equal(("alice", "added", "alice", g), (aliceAdded.Str("user"), aliceAdded.Str("change"), aliceAdded.Str("by"), aliceAdded.Str("channel")));
        JsonElement bobAdded = await bob.WaitAsync(f => f.IsEntry("member"));
        Assert.Equal(("bob", "added"), (bobAdded.Str("user"), bobAdded.Str("change")));

        JsonElement notOwner = await bob.RequestAsync("group.add", new { channel = g, users = new[] { "carol" } });
        Assert.Equal("forbidden", notOwner.Str("code"));

        JsonElement added = (await alice.OkAsync("group.add", new { channel = g, users = new[] { "carol" } })).GetProperty("channel");
        Assert.Equal(3, added.GetProperty("members").GetArrayLength());
        await carol.WaitAsync(f => f.IsEntry("member") && f.Str("user") == "carol" && f.Str("change") == "added");
        await bob.WaitAsync(f => f.IsEntry("member") && f.Str("user") == "carol");

        JsonElement full = await alice.RequestAsync("group.add", new { channel = g, users = new[] { "dave" } });
        Assert.Equal("too_many_members", full.Str("code"));
        JsonElement tooBig = await alice.RequestAsync("group.create", new { name = "Big", members = new[] { "a1", "a2", "a3" } });
        Assert.Equal("too_many_members", tooBig.Str("code"));

        JsonElement kickedByMember = await bob.RequestAsync("group.remove", new { channel = g, users = new[] { "carol" } });
        Assert.Equal("forbidden", kickedByMember.Str("code"));

        JsonElement left = (await bob.OkAsync("group.remove", new { channel = g, users = new[] { "bob" } })).GetProperty("channel");
        Assert.DoesNotContain("bob", left.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        await bob.WaitAsync(f => f.IsEntry("member") && f.Str("user") == "bob" && f.Str("change") == "removed" && f.Str("by") == "bob");
        await carol.WaitAsync(f => f.IsEntry("member") && f.Str("user") == "bob" && f.Str("change") == "removed");

        JsonElement gone = await bob.RequestAsync("send", new { channel = g, body = "still here?", clientMsgId = "x" });
        Assert.Equal("forbidden", gone.Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("group.create", new { name = "", members = Array.Empty<string>() })).Str("code"));
    }

    [Fact]
    public async Task Read_appends_a_read_entry_for_the_reader_and_a_receipt_for_the_others()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");
        await alice.OkAsync("send", new { to = "bob", body = "1", clientMsgId = "c1" });
        await alice.OkAsync("send", new { to = "bob", body = "2", clientMsgId = "c2" });

        JsonElement ok = await bob.OkAsync("read", new { channel = "d:alice:bob", upTo = 2 });
        Assert.Equal("ok", ok.Type());
        JsonElement readEntry = await bob.WaitAsync(f => f.IsEntry("read"));
        Assert.Equal(("d:alice:bob", 2L), (readEntry.Str("channel"), readEntry.Long("upTo")));
        JsonElement receipt = await alice.WaitAsync(f => f.Type() == "receipt");
        Assert.Equal(("d:alice:bob", "bob", 2L), (receipt.Str("channel"), receipt.Str("user"), receipt.Long("upTo")));
        Assert.False(bob.Has(f => f.Type() == "receipt"));

        // Lower: ok and nothing changes.
        await bob.OkAsync("read", new { channel = "d:alice:bob", upTo = 1 });
        await bob.OkAsync(FrameTypes.Ping);
        Assert.Single(bob.Entries(), e => e.IsEntry("read"));

        Assert.Equal("bad_request", (await bob.RequestAsync("read", new { channel = "d:alice:bob" })).Str("code"));
        Assert.Equal("bad_request", (await bob.RequestAsync("read", new { channel = "d:alice:bob", upTo = 99 })).Str("code"));
    }

    [Fact]
    public async Task Typing_reaches_the_other_members_only_and_has_no_ok_reply()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient alice2 = await host.ConnectAsync("alice", "d2");
        await using TestClient bob = await host.ConnectAsync("bob");
        await alice.OkAsync("send", new { to = "bob", body = "hi", clientMsgId = "c1" });

        string rid = await alice.SendRequestAsync("typing", new { channel = "d:alice:bob" });
        JsonElement typing = await bob.WaitAsync(f => f.Type() == "typing");
        Assert.Equal(("d:alice:bob", "alice"), (typing.Str("channel"), typing.Str("user")));

        await alice.OkAsync(FrameTypes.Ping);
        await alice2.OkAsync(FrameTypes.Ping);
        Assert.False(alice.Has(f => f.Str("rid") == rid));
        Assert.False(alice.Has(f => f.Type() == "typing"));
        Assert.False(alice2.Has(f => f.Type() == "typing"));

        JsonElement error = await alice.RequestAsync("typing", new { channel = "g-42" });
        Assert.Equal("not_found", error.Str("code"));
        await alice.SendTextAsync("""{"type":"typing","channel":"g-42"}""");
        await alice.OkAsync(FrameTypes.Ping);
        Assert.Single(alice.Frames(), f => f.Type() == "error");
    }

    [Fact]
    public async Task Presence_sub_replies_with_status_then_sends_changes_and_unsub_stops_them()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");

        JsonElement ok = await alice.OkAsync("presence.sub", new { users = new[] { "bob", "carol" } });
        JsonElement[] presence = [.. ok.GetProperty("presence").EnumerateArray()];
        JsonElement b = presence.Single(p => p.Str("user") == "bob");
        Assert.Equal("online", b.Str("status"));
        Assert.True(b.Long("lastActiveAt") > 0);
        Assert.Equal("offline", presence.Single(p => p.Str("user") == "carol").Str("status"));

        await using (TestClient carol = await host.ConnectAsync("carol"))
        {
            JsonElement online = await alice.WaitAsync(f => f.Type() == "presence" && f.Str("user") == "carol");
            Assert.Equal("online", online.Str("status"));
            Assert.True(online.Long("lastActiveAt") > 0);
            await carol.CloseAsync();
        }

        JsonElement offline = await alice.WaitAsync(f => f.Type() == "presence" && f.Str("user") == "carol");
        Assert.Equal("offline", offline.Str("status"));

        JsonElement unsub = await alice.OkAsync("presence.unsub", new { users = new[] { "carol" } });
        Assert.Equal("carol", unsub.GetProperty("presence")[0].Str("user"));
        await using (TestClient carol = await host.ConnectAsync("carol"))
        {
            await carol.OkAsync(FrameTypes.Ping);
        }

        await alice.OkAsync(FrameTypes.Ping);
        Assert.Equal(2, alice.Frames().Count(f => f.Type() == "presence"));
        Assert.Equal("bad_request", (await alice.RequestAsync("presence.sub", new { users = Enumerable.Range(0, 1001).Select(i => "u" + i).ToArray() })).Str("code"));
    }

    [Fact]
    public async Task Push_register_and_unregister_bind_the_device()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(services: s => s.AddSingleton<IPushSender>(new FakePushSender()));
        await using TestClient alice = await host.ConnectAsync("alice", "phone");

        await alice.OkAsync("push.register", new { provider = "webpush", token = "https://push.example/abc" });
        IPushTokenStore store = host.App.Services.GetRequiredService<IPushTokenStore>();
        IReadOnlyList<PushToken> bound = await store.GetTokensAsync("alice");
        Assert.Equal(("phone", "webpush", "https://push.example/abc"), (bound[0].Device, bound[0].Provider, bound[0].Token));

        await alice.OkAsync("push.unregister", new { provider = "webpush", token = "https://push.example/abc" });
        Assert.Empty(await store.GetTokensAsync("alice"));
        Assert.Equal("bad_request", (await alice.RequestAsync("push.register", new { provider = "fcm", token = "t" })).Str("code"));
        Assert.Equal("bad_request", (await alice.RequestAsync("push.register", new { provider = "webpush" })).Str("code"));
    }

    [Fact]
    public async Task Ping_answers_pong_with_the_server_time_and_packed_requests_all_get_answers()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient alice = await host.ConnectAsync("alice");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement pong = await alice.RequestAsync("ping");
        Assert.Equal("pong", pong.Type());
        Assert.InRange(pong.Long("time"), before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);

        await alice.SendTextAsync("""{"type":"ping","rid":"a"}""" + "\n" + """{"type":"ping","rid":"b"}""" + "\n\n" + """{"type":"ping","rid":"c"}""");
        await alice.SendTextAsync("""{"type":"ping","rid":"u","future":{"x":[1,2]},"flag":true}""");
        foreach (string rid in new[] { "a", "b", "c", "u" })
        {
            await alice.WaitAsync(f => f.Type() == "pong" && f.Str("rid") == rid);
        }
    }

    private sealed class FakePushSender : IPushSender
    {
        public string Provider => "webpush";

        public ValueTask<PushResult> SendAsync(PushToken token, PushNotification notification, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(PushResult.Delivered);
    }
}
