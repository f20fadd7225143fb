using ChatKit.Presence;
using Xunit;

namespace ChatKit.Specification.Presence;

/// <summary>
/// The contract of <see cref="IPresenceStore"/>, written once: online while at least one session is live, first-open
/// and last-close decided atomically, <c>lastActiveAt</c>. An implementation's test project derives from this class.
/// </summary>
public abstract class PresenceStoreSpecification : IAsyncLifetime
{
    /// <summary>A moment to start the test clock at.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The store of the current test.</summary>
    protected IPresenceStore Store { get; private set; } = null!;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract ValueTask<IPresenceStore> CreateStoreAsync();

    /// <summary>Releases the store. By default disposes it when it is disposable.</summary>
    /// <param name="store">The store.</param>
    protected virtual ValueTask DisposeStoreAsync(IPresenceStore store) => Disposal.DisposeAsync(store);

    /// <inheritdoc />
    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await DisposeStoreAsync(Store);

    [Fact]
    public async Task An_unknown_user_is_offline_and_never_seen()
    {
        PresenceInfo p = Assert.Single(await Store.GetAsync(["ghost"]));

        Assert.Equal(new PresenceInfo("ghost", false, null), p);
    }

    [Fact]
    public async Task First_session_brings_the_user_online_and_the_last_close_takes_it_offline()
    {
        Assert.True(await Store.AddSessionAsync("alice", "s1", "n1", T0));
        Assert.False(await Store.AddSessionAsync("alice", "s2", "n1", T0.AddSeconds(1)));
        Assert.False(await Store.AddSessionAsync("alice", "s3", "n2", T0.AddSeconds(2)));
        Assert.True((await GetAsync("alice")).Online);

        Assert.False(await Store.RemoveSessionAsync("alice", "s2", T0.AddSeconds(3)));
        Assert.False(await Store.RemoveSessionAsync("alice", "s1", T0.AddSeconds(4)));
        Assert.True((await GetAsync("alice")).Online);

        Assert.True(await Store.RemoveSessionAsync("alice", "s3", T0.AddSeconds(5)));
        PresenceInfo p = await GetAsync("alice");
        Assert.False(p.Online);
        Assert.Equal(T0.AddSeconds(5), p.LastActiveAt);

        Assert.True(await Store.AddSessionAsync("alice", "s4", "n1", T0.AddSeconds(6)));
        Assert.True((await GetAsync("alice")).Online);
    }

    [Fact]
    public async Task Adding_the_same_session_twice_counts_once()
    {
        Assert.True(await Store.AddSessionAsync("alice", "s1", "n1", T0));
        Assert.False(await Store.AddSessionAsync("alice", "s1", "n1", T0));

        Assert.True(await Store.RemoveSessionAsync("alice", "s1", T0));
        Assert.False((await GetAsync("alice")).Online);
    }

    [Fact]
    public async Task Removing_an_unknown_session_changes_nothing()
    {
        Assert.False(await Store.RemoveSessionAsync("alice", "nope", T0));
        Assert.False((await GetAsync("alice")).Online);

        await Store.AddSessionAsync("alice", "s1", "n1", T0);
        Assert.False(await Store.RemoveSessionAsync("alice", "nope", T0));
        Assert.False(await Store.RemoveSessionAsync("alice", "nope", T0));
        Assert.True((await GetAsync("alice")).Online);
    }

    [Fact]
    public async Task Users_are_independent_and_results_come_in_the_order_asked()
    {
        await Store.AddSessionAsync("alice", "s1", "n1", T0);
        await Store.AddSessionAsync("bob", "s2", "n1", T0.AddSeconds(1));
        await Store.RemoveSessionAsync("bob", "s2", T0.AddSeconds(2));

        IReadOnlyList<PresenceInfo> all = await Store.GetAsync(["carol", "bob", "alice"]);

        Assert.Equal(["carol", "bob", "alice"], all.Select(p => p.User));
        Assert.Equal([false, false, true], all.Select(p => p.Online));
        Assert.Null(all[0].LastActiveAt);
        Assert.Equal(T0.AddSeconds(2), all[1].LastActiveAt);
        Assert.Equal(T0, all[2].LastActiveAt);
    }

    [Fact]
    public async Task Touch_records_the_last_activity_and_never_moves_it_back()
    {
        await Store.AddSessionAsync("alice", "s1", "n1", T0);
        await Store.TouchAsync("alice", T0.AddMinutes(3));
        Assert.Equal(T0.AddMinutes(3), (await GetAsync("alice")).LastActiveAt);

        // Clocks of two nodes differ: an older report must not win.
        await Store.TouchAsync("alice", T0.AddMinutes(1));
        Assert.Equal(T0.AddMinutes(3), (await GetAsync("alice")).LastActiveAt);

        await Store.TouchAsync("alice", T0.AddMinutes(7));
        PresenceInfo p = await GetAsync("alice");
        Assert.Equal(T0.AddMinutes(7), p.LastActiveAt);
        Assert.True(p.Online);
    }

    [Fact]
    public async Task Touch_without_a_session_does_not_bring_the_user_online()
    {
        await Store.TouchAsync("alice", T0);

        PresenceInfo p = await GetAsync("alice");
        Assert.False(p.Online);
        Assert.Equal(T0, p.LastActiveAt);
    }

    [Fact]
    public async Task LastActiveAt_is_kept_to_the_millisecond()
    {
        DateTimeOffset at = T0.AddMilliseconds(123);
        await Store.AddSessionAsync("alice", "s1", "n1", at);

        Assert.Equal(at.ToUnixTimeMilliseconds(), (await GetAsync("alice")).LastActiveAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Concurrent_opens_and_closes_report_exactly_one_first_open_and_one_last_close()
    {
        const int sessions = 32;
        bool[] opened = await Task.WhenAll(Enumerable.Range(0, sessions).Select(i =>
            Task.Run(async () => await Store.AddSessionAsync("alice", $"s{i}", i % 2 == 0 ? "n1" : "n2", T0.AddMilliseconds(i)))));

        Assert.Equal(1, opened.Count(x => x));
        Assert.True((await GetAsync("alice")).Online);

        bool[] closed = await Task.WhenAll(Enumerable.Range(0, sessions).Select(i =>
            Task.Run(async () => await Store.RemoveSessionAsync("alice", $"s{i}", T0.AddSeconds(1)))));

        Assert.Equal(1, closed.Count(x => x));
        Assert.False((await GetAsync("alice")).Online);
    }

    private async Task<PresenceInfo> GetAsync(string user) => Assert.Single(await Store.GetAsync([user]));
}
