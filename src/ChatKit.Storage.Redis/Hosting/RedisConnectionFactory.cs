using StackExchange.Redis;

namespace ChatKit.Hosting;

/// <summary>The host's own connection factory, when it passed one to <c>AddRedis</c>.</summary>
internal sealed class RedisConnectionFactory(Func<IServiceProvider, Task<IConnectionMultiplexer>> create)
{
    public Task<IConnectionMultiplexer> Create(IServiceProvider services) => create(services);
}
