using System.Text.Json;

namespace ChatKit.Transport.WebSockets.Tests;

public sealed class PresenceTests
{
    [Fact]
    public async Task Subscribers_see_only_the_first_open_and_the_last_close()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync();
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice" } });

        TestClient phone = await host.ConnectAsync("alice", "phone");
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "online");
        TestClient laptop = await host.ConnectAsync("alice", "laptop");
        await phone.CloseAsync();
        TestClient tablet = await host.ConnectAsync("alice", "tablet");
        await laptop.CloseAsync();
        await watcher.OkAsync("ping");
        Assert.Single(watcher.Frames(), f => f.Type() == "presence");

        await tablet.CloseAsync();
        JsonElement offline = await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline");
        Assert.Equal("alice", offline.Str("user"));
        Assert.True(offline.Long("lastActiveAt") > 0);
        await phone.DisposeAsync();
        await laptop.DisposeAsync();
        await tablet.DisposeAsync();
    }

    [Fact]
    public async Task A_dropped_connection_goes_offline_after_the_grace_period_unless_it_comes_back()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.PresenceGracePeriod = TimeSpan.FromMilliseconds(600));
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice" } });

        TestClient first = await host.ConnectAsync("alice", "phone");
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "online");
        first.Drop();
        await WaitFor.ConditionAsync(() => host.Sessions.Count == 1);

        // Back within the grace: nobody sees the blip.
        TestClient second = await host.ConnectAsync("alice", "phone");
        await Task.Delay(900);
        await watcher.OkAsync("ping");
        Assert.Single(watcher.Frames(), f => f.Type() == "presence");

        // Dropped for good: offline, but only after the grace.
        var dropped = DateTime.UtcNow;
        second.Drop();
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline");
        Assert.True(DateTime.UtcNow - dropped >= TimeSpan.FromMilliseconds(500), "offline came before the grace period");
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task A_clean_close_goes_offline_at_once()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.PresenceGracePeriod = TimeSpan.FromSeconds(30));
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice", "bob" } });
        await using TestClient alice = await host.ConnectAsync("alice");
        await using TestClient bob = await host.ConnectAsync("bob");
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("user") == "bob" && f.Str("status") == "online");

        await alice.CloseAsync();
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("user") == "alice" && f.Str("status") == "offline", TimeSpan.FromSeconds(5));
        await bob.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable);
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("user") == "bob" && f.Str("status") == "offline", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Logout_of_a_device_that_just_dropped_ends_its_grace_at_once()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(o => o.PresenceGracePeriod = TimeSpan.FromSeconds(30));
        await using TestClient watcher = await host.ConnectAsync("watcher");
        await watcher.OkAsync("presence.sub", new { users = new[] { "alice" } });
        TestClient phone = await host.ConnectAsync("alice", "phone");
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "online");
        phone.Drop();
        await WaitFor.ConditionAsync(() => host.Sessions.Count == 1);

        HttpResponseMessage logout = await host.Http.SendAsync(host.Request(HttpMethod.Post, "/chatkit/logout?device=phone", "alice"));
        Assert.Equal(200, (int)logout.StatusCode);
        await watcher.WaitAsync(f => f.Type() == "presence" && f.Str("status") == "offline", TimeSpan.FromSeconds(5));
        await phone.DisposeAsync();
    }
}
