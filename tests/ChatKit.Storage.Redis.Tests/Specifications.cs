using ChatKit.Discovery;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Push;
using ChatKit.Specification.Discovery;
using ChatKit.Specification.Messaging;
using ChatKit.Specification.Presence;
using ChatKit.Specification.Push;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>Builds Redis stores on a shared connection, each under its own key prefix (a fresh, empty store).</summary>
internal static class RedisStores
{
    public static ServiceProvider Build(RedisDeployment redis, ChatKitOptions? options = null, TimeProvider? clock = null)
    {
        var services = new ServiceCollection();
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddChatKit(o =>
        {
            if (options is not null)
            {
                o.InboxRetentionCount = options.InboxRetentionCount;
                o.InboxRetentionAge = options.InboxRetentionAge;
                o.DedupeWindow = options.DedupeWindow;
                o.MaxGroupMembers = options.MaxGroupMembers;
            }
        }).AddRedis(_ => Task.FromResult(redis.Connection), o =>
        {
            o.KeyPrefix = RedisDeployment.UniquePrefix();

            // The contract's store answers with what it appended, like the in-memory one.
            o.DeferMessageFanout = false;
        });
        return services.BuildServiceProvider();
    }
}

/// <summary>Keeps the providers of a test's stores, disposed with the test.</summary>
public sealed class ProviderBag : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];

    public T Add<T>(ServiceProvider sp)
        where T : notnull
    {
        _providers.Add(sp);
        return sp.GetRequiredService<T>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProvider sp in _providers)
        {
            await sp.DisposeAsync();
        }
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class RedisMessageStoreSpecification(StandaloneRedis redis) : MessageStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override int ConcurrentMessages => 200;

    protected override ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options) =>
        new(_bag.Add<IMessageStore>(RedisStores.Build(redis, options)));

    protected override ValueTask DisposeStoreAsync(IMessageStore store) => _bag.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
public sealed class RedisClusterMessageStoreSpecification(ClusterRedis redis) : MessageStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override int ConcurrentMessages => 200;

    protected override ValueTask<IMessageStore> CreateStoreAsync(ChatKitOptions options) =>
        new(_bag.Add<IMessageStore>(RedisStores.Build(redis, options)));

    protected override ValueTask DisposeStoreAsync(IMessageStore store) => _bag.DisposeAsync();
}

[Collection(StandaloneCollection.Name)]
public sealed class RedisPresenceStoreSpecification(StandaloneRedis redis) : PresenceStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<IPresenceStore> CreateStoreAsync() => new(_bag.Add<IPresenceStore>(RedisStores.Build(redis)));

    protected override ValueTask DisposeStoreAsync(IPresenceStore store) => _bag.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
public sealed class RedisClusterPresenceStoreSpecification(ClusterRedis redis) : PresenceStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<IPresenceStore> CreateStoreAsync() => new(_bag.Add<IPresenceStore>(RedisStores.Build(redis)));

    protected override ValueTask DisposeStoreAsync(IPresenceStore store) => _bag.DisposeAsync();
}

[Collection(StandaloneCollection.Name)]
public sealed class RedisPushTokenStoreSpecification(StandaloneRedis redis) : PushTokenStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<IPushTokenStore> CreateStoreAsync() => new(_bag.Add<IPushTokenStore>(RedisStores.Build(redis)));

    protected override ValueTask DisposeStoreAsync(IPushTokenStore store) => _bag.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
public sealed class RedisClusterPushTokenStoreSpecification(ClusterRedis redis) : PushTokenStoreSpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<IPushTokenStore> CreateStoreAsync() => new(_bag.Add<IPushTokenStore>(RedisStores.Build(redis)));

    protected override ValueTask DisposeStoreAsync(IPushTokenStore store) => _bag.DisposeAsync();
}

[Collection(StandaloneCollection.Name)]
public sealed class RedisNodeRegistrySpecification(StandaloneRedis redis) : NodeRegistrySpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<INodeRegistry> CreateRegistryAsync(TimeProvider clock) =>
        new(_bag.Add<INodeRegistry>(RedisStores.Build(redis, clock: clock)));

    protected override ValueTask DisposeRegistryAsync(INodeRegistry registry) => _bag.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
public sealed class RedisClusterNodeRegistrySpecification(ClusterRedis redis) : NodeRegistrySpecification
{
    private readonly ProviderBag _bag = new();

    protected override ValueTask<INodeRegistry> CreateRegistryAsync(TimeProvider clock) =>
        new(_bag.Add<INodeRegistry>(RedisStores.Build(redis, clock: clock)));

    protected override ValueTask DisposeRegistryAsync(INodeRegistry registry) => _bag.DisposeAsync();
}
