using ChatKit.Push;
using Xunit;

namespace ChatKit.Specification.Push;

/// <summary>The contract of <see cref="IPushTokenStore"/>, written once. An implementation's test project derives from this class.</summary>
public abstract class PushTokenStoreSpecification : IAsyncLifetime
{
    /// <summary>The store of the current test.</summary>
    protected IPushTokenStore Store { get; private set; } = null!;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract ValueTask<IPushTokenStore> CreateStoreAsync();

    /// <summary>Releases the store. By default disposes it when it is disposable.</summary>
    /// <param name="store">The store.</param>
    protected virtual ValueTask DisposeStoreAsync(IPushTokenStore store) => Disposal.DisposeAsync(store);

    /// <inheritdoc />
    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await DisposeStoreAsync(Store);

    [Fact]
    public async Task A_user_without_tokens_has_none()
    {
        Assert.Empty(await Store.GetTokensAsync("alice"));
    }

    [Fact]
    public async Task Registered_tokens_are_returned_for_their_user_only()
    {
        var phone = new PushToken("alice", "phone", "fcm", "tok-1");
        var laptop = new PushToken("alice", "laptop", "webpush", """{"endpoint":"https://push.example/1"}""");
        await Store.RegisterAsync(phone);
        await Store.RegisterAsync(laptop);
        await Store.RegisterAsync(new PushToken("bob", "phone", "fcm", "tok-b"));

        Assert.Equal([laptop, phone], (await Store.GetTokensAsync("alice")).OrderBy(t => t.Device, StringComparer.Ordinal));
        Assert.Equal([new PushToken("bob", "phone", "fcm", "tok-b")], await Store.GetTokensAsync("bob"));
    }

    [Fact]
    public async Task Registering_again_for_the_same_device_and_provider_replaces_the_token()
    {
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "old"));
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "new"));

        Assert.Equal([new PushToken("alice", "phone", "fcm", "new")], await Store.GetTokensAsync("alice"));
    }

    [Fact]
    public async Task Registering_the_same_token_twice_keeps_one()
    {
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "t"));
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "t"));

        Assert.Single(await Store.GetTokensAsync("alice"));
    }

    [Fact]
    public async Task One_device_may_have_a_token_per_provider()
    {
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "f"));
        await Store.RegisterAsync(new PushToken("alice", "phone", "apns", "a"));

        Assert.Equal(["apns", "fcm"], (await Store.GetTokensAsync("alice")).Select(t => t.Provider).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unregister_removes_only_the_exact_binding()
    {
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "t1"));
        await Store.RegisterAsync(new PushToken("alice", "tablet", "fcm", "t2"));

        Assert.False(await Store.UnregisterAsync(new PushToken("alice", "phone", "fcm", "other")));
        Assert.False(await Store.UnregisterAsync(new PushToken("alice", "phone", "apns", "t1")));
        Assert.False(await Store.UnregisterAsync(new PushToken("bob", "phone", "fcm", "t1")));
        Assert.Equal(2, (await Store.GetTokensAsync("alice")).Count);

        Assert.True(await Store.UnregisterAsync(new PushToken("alice", "phone", "fcm", "t1")));
        Assert.Equal([new PushToken("alice", "tablet", "fcm", "t2")], await Store.GetTokensAsync("alice"));
        Assert.False(await Store.UnregisterAsync(new PushToken("alice", "phone", "fcm", "t1")));

        Assert.True(await Store.UnregisterAsync(new PushToken("alice", "tablet", "fcm", "t2")));
        Assert.Empty(await Store.GetTokensAsync("alice"));
    }

    [Fact]
    public async Task A_replaced_token_can_no_longer_be_unregistered()
    {
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "old"));
        await Store.RegisterAsync(new PushToken("alice", "phone", "fcm", "new"));

        Assert.False(await Store.UnregisterAsync(new PushToken("alice", "phone", "fcm", "old")));
        Assert.Single(await Store.GetTokensAsync("alice"));
    }
}
