using ChatKit.Discovery;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ChatKit.Specification.Discovery;

/// <summary>
/// The contract of <see cref="INodeRegistry"/>, written once: heartbeats upsert, liveness by age, removal. The
/// registry must age heartbeats with the <see cref="TimeProvider"/> it is given. An implementation's test project
/// derives from this class.
/// </summary>
public abstract class NodeRegistrySpecification : IAsyncLifetime
{
    /// <summary>The test's clock, given to the registry.</summary>
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The registry of the current test.</summary>
    protected INodeRegistry Registry { get; private set; } = null!;

    /// <summary>Creates a fresh, empty registry that reads time from <paramref name="clock"/>.</summary>
    /// <param name="clock">The clock.</param>
    protected abstract ValueTask<INodeRegistry> CreateRegistryAsync(TimeProvider clock);

    /// <summary>Releases the registry. By default disposes it when it is disposable.</summary>
    /// <param name="registry">The registry.</param>
    protected virtual ValueTask DisposeRegistryAsync(INodeRegistry registry) => Disposal.DisposeAsync(registry);

    /// <inheritdoc />
    public async Task InitializeAsync() => Registry = await CreateRegistryAsync(Clock);

    /// <inheritdoc />
    public async Task DisposeAsync() => await DisposeRegistryAsync(Registry);

    [Fact]
    public async Task An_empty_registry_has_no_live_nodes()
    {
        Assert.Empty(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_node_that_beat_is_live_with_what_it_announced()
    {
        var n1 = new NodeInfo("n1", "ws://10.0.0.1:5000/chatkit", 12, 1000, false, Clock.GetUtcNow());
        var n2 = new NodeInfo("n2", null, 0, 50, true, Clock.GetUtcNow());
        await Registry.HeartbeatAsync(n1);
        await Registry.HeartbeatAsync(n2);

        IReadOnlyList<NodeInfo> live = await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["n1", "n2"], live.Select(n => n.Id).Order(StringComparer.Ordinal));
        NodeInfo r1 = live.Single(n => n.Id == "n1");
        Assert.Equal((n1.Url, n1.Sessions, n1.Capacity, n1.Draining), (r1.Url, r1.Sessions, r1.Capacity, r1.Draining));
        Assert.Equal(n1.LastBeatAt.ToUnixTimeMilliseconds(), r1.LastBeatAt.ToUnixTimeMilliseconds());
        NodeInfo r2 = live.Single(n => n.Id == "n2");
        Assert.Equal((n2.Url, n2.Sessions, n2.Capacity, n2.Draining), (r2.Url, r2.Sessions, r2.Capacity, r2.Draining));
    }

    [Fact]
    public async Task A_node_is_live_while_its_last_beat_is_at_most_maxAge_old()
    {
        await Registry.HeartbeatAsync(new NodeInfo("n1", null, 0, 10, false, Clock.GetUtcNow()));

        Clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Single(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(5)));

        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_new_beat_refreshes_the_node_and_replaces_what_it_announced()
    {
        await Registry.HeartbeatAsync(new NodeInfo("n1", null, 1, 10, false, Clock.GetUtcNow()));
        Clock.Advance(TimeSpan.FromSeconds(8));
        await Registry.HeartbeatAsync(new NodeInfo("n1", null, 7, 10, true, Clock.GetUtcNow()));
        Clock.Advance(TimeSpan.FromSeconds(8));

        NodeInfo n = Assert.Single(await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(7, n.Sessions);
        Assert.True(n.Draining);
    }

    [Fact]
    public async Task Only_the_dead_node_drops_out()
    {
        await Registry.HeartbeatAsync(new NodeInfo("old", null, 0, 10, false, Clock.GetUtcNow()));
        Clock.Advance(TimeSpan.FromSeconds(8));
        await Registry.HeartbeatAsync(new NodeInfo("young", null, 0, 10, false, Clock.GetUtcNow()));
        Clock.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal(["young"], (await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10))).Select(n => n.Id));
    }

    [Fact]
    public async Task A_removed_node_is_gone_and_removing_twice_is_harmless()
    {
        await Registry.HeartbeatAsync(new NodeInfo("n1", null, 0, 10, false, Clock.GetUtcNow()));
        await Registry.HeartbeatAsync(new NodeInfo("n2", null, 0, 10, false, Clock.GetUtcNow()));

        await Registry.RemoveAsync("n1");
        await Registry.RemoveAsync("n1");
        await Registry.RemoveAsync("never-there");

        Assert.Equal(["n2"], (await Registry.GetLiveNodesAsync(TimeSpan.FromSeconds(10))).Select(n => n.Id));
    }
}
