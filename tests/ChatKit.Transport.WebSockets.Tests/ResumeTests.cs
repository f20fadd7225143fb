using System.Text.Json;
using ChatKit.Messaging;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class ResumeTests
{
    [Fact]
    public async Task Resume_with_after_under_concurrent_sends_has_no_gap_duplicate_or_reordering()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        const int before = 300;
        const int during = 300;
        for (int i = 0; i < before; i++)
        {
            await host.Engine.SendAsync(new SendMessageRequest("bob", "d1", "alice", null, "b" + i, "b" + i));
        }

        // Connect at cursor 17 while two senders keep appending to alice's inbox.
        Task senders = Task.WhenAll(Enumerable.Range(0, 2).Select(s => Task.Run(async () =>
        {
            for (int i = 0; i < during / 2; i++)
            {
                await host.Engine.SendAsync(new SendMessageRequest("s" + s, "d1", "alice", null, "x", $"s{s}-{i}"));
            }
        })));
        await using TestClient alice = await host.ConnectAsync("alice", after: 17);
        await senders;

        List<JsonElement> entries = await alice.WaitEntriesAsync(before + during - 17, TimeSpan.FromSeconds(30));
        await alice.OkAsync("ping");
        entries = alice.Entries();
        Assert.Equal(Enumerable.Range(18, before + during - 17).Select(i => (long)i), entries.Select(e => e.Long("seq")));
    }

    [Fact]
    public async Task Cursor_at_head_gets_only_live_entries_and_no_cursor_means_live_only()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await host.Engine.SendAsync(new SendMessageRequest("bob", "d1", "alice", null, "old", "c1"));
        await using TestClient atHead = await host.ConnectAsync("alice", "d1", after: 1);
        await using TestClient noCursor = await host.ConnectAsync("alice", "d2");
        Assert.Equal(1, noCursor.Welcome.Long("head"));
        await host.Engine.SendAsync(new SendMessageRequest("bob", "d1", "alice", null, "new", "c2"));
        Assert.Equal(2, (await atHead.WaitAsync(f => f.IsEntry("message"))).Long("seq"));
        Assert.Equal(2, (await noCursor.WaitAsync(f => f.IsEntry("message"))).Long("seq"));
        Assert.Single(atHead.Entries());
        Assert.Single(noCursor.Entries());
    }

    [Fact]
    public async Task A_cursor_older_than_retention_or_ahead_of_head_gets_reset_then_live()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.InboxRetentionCount = 5);
        for (int i = 0; i < 12; i++)
        {
            await host.Engine.SendAsync(new SendMessageRequest("bob", "d1", "alice", null, "m" + i, "c" + i));
        }

        await using TestClient stale = await host.ConnectAsync("alice", "d1", after: 3);
        JsonElement reset = await stale.WaitAsync(f => f.Type() == "reset");
        Assert.Equal(12, reset.Long("head"));
        Assert.Equal(1, stale.Frames().IndexOf(reset)); // right after welcome

        await using TestClient ahead = await host.ConnectAsync("alice", "d2", after: 40);
        Assert.Equal(12, (await ahead.WaitAsync(f => f.Type() == "reset")).Long("head"));

        await using TestClient ok = await host.ConnectAsync("alice", "d3", after: 7);
        await ok.WaitEntriesAsync(5);
        Assert.False(ok.Has(f => f.Type() == "reset"));

        await host.Engine.SendAsync(new SendMessageRequest("bob", "d1", "alice", null, "live", "live"));
        Assert.Equal(13, (await stale.WaitAsync(f => f.IsEntry("message"))).Long("seq"));
        Assert.Equal(13, (await ahead.WaitAsync(f => f.IsEntry("message"))).Long("seq"));
        Assert.Single(stale.Entries());
    }

    [Fact]
    public async Task Two_devices_of_one_user_see_own_messages_and_read_marks()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient phone = await host.ConnectAsync("alice", "phone");
        await using TestClient laptop = await host.ConnectAsync("alice", "laptop");
        await using TestClient bob = await host.ConnectAsync("bob");

        await phone.OkAsync("send", new { to = "bob", body = "from phone", clientMsgId = "p1" });
        JsonElement onLaptop = await laptop.WaitAsync(f => f.IsMessageEntry("from phone"));
        Assert.Equal("phone", onLaptop.GetProperty("message").Str("device"));
        await bob.OkAsync("send", new { to = "alice", body = "to alice", clientMsgId = "b1" });
        await phone.WaitAsync(f => f.IsMessageEntry("to alice"));
        await laptop.WaitAsync(f => f.IsMessageEntry("to alice"));

        await laptop.OkAsync("read", new { channel = "d:alice:bob", upTo = 2 });
        JsonElement onPhone = await phone.WaitAsync(f => f.IsEntry("read"));
        Assert.Equal(2, onPhone.Long("upTo"));
        await laptop.WaitAsync(f => f.IsEntry("read"));

        Assert.Equal(phone.Entries().Select(e => e.GetRawText()), laptop.Entries().Select(e => e.GetRawText()));
        JsonElement channel = (await phone.OkAsync("channels")).GetProperty("channels")[0];
        Assert.Equal(0, channel.Long("unread"));
    }
}
