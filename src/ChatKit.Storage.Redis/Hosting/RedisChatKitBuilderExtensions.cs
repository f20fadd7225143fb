using ChatKit;
using ChatKit.Discovery;
using ChatKit.Fanout;
using ChatKit.Hosting;
using ChatKit.Ids;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Push;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts ChatKit on Redis or Redis Cluster, so that many nodes serve one set of users.</summary>
public static class RedisChatKitBuilderExtensions
{
    /// <summary>
    /// Replaces ChatKit's in-memory store, presence, bus, node registry, push tokens and id generator with Redis
    /// ones, whether called before or after <c>AddChatKit</c>. Nothing connects until the host starts, and the host
    /// starts while Redis is down (requests fail with <c>unavailable</c> and the health check reports it).
    /// </summary>
    /// <param name="builder">The ChatKit builder.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string, for example <c>localhost:6379</c>.</param>
    /// <param name="configure">Sets further options; may be <see langword="null"/>.</param>
    public static IChatKitBuilder AddRedis(this IChatKitBuilder builder, string configuration, Action<RedisChatKitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        builder.Services.Configure<RedisChatKitOptions>(o =>
        {
            o.Configuration = configuration;
            configure?.Invoke(o);
        });
        return AddCore(builder);
    }

    /// <summary>
    /// Like <see cref="AddRedis(IChatKitBuilder, string, Action{RedisChatKitOptions}?)"/>, on the host's own
    /// connection: <paramref name="connectionFactory"/> is called once, when the host starts, and the connection it
    /// returns is not disposed by ChatKit.
    /// </summary>
    /// <param name="builder">The ChatKit builder.</param>
    /// <param name="connectionFactory">Returns the connection to use.</param>
    /// <param name="configure">Sets further options; may be <see langword="null"/>.</param>
    public static IChatKitBuilder AddRedis(this IChatKitBuilder builder, Func<IServiceProvider, Task<IConnectionMultiplexer>> connectionFactory,
        Action<RedisChatKitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionFactory);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.RemoveAll<RedisConnectionFactory>();
        builder.Services.AddSingleton(new RedisConnectionFactory(connectionFactory));
        return AddCore(builder);
    }

    private static IChatKitBuilder AddCore(IChatKitBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<RedisChatKitOptions>().ValidateOnStart();

        // Replace ChatKit's defaults, which AddChatKit adds with TryAdd: this wins before and after it.
        services.RemoveAll<IMessageStore>();
        services.RemoveAll<IPresenceStore>();
        services.RemoveAll<IChatBus>();
        services.RemoveAll<INodeRegistry>();
        services.RemoveAll<IPushTokenStore>();
        services.RemoveAll<IIdGenerator>();
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<RedisMessageStore>());
        services.AddSingleton<IPresenceStore>(sp => sp.GetRequiredService<RedisPresenceStore>());
        services.AddSingleton<IChatBus>(sp => sp.GetRequiredService<RedisChatBus>());
        services.AddSingleton<INodeRegistry>(sp => sp.GetRequiredService<RedisNodeRegistry>());
        services.AddSingleton<IPushTokenStore>(sp => sp.GetRequiredService<RedisPushTokenStore>());
        services.AddSingleton<IIdGenerator>(sp => sp.GetRequiredService<RedisLeasedIdGenerator>());

        if (services.Any(d => d.ServiceType == typeof(RedisContext)))
        {
            return builder;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisChatKitOptions>, RedisChatKitOptionsValidator>(
            sp => new RedisChatKitOptionsValidator(sp.GetService<RedisConnectionFactory>())));
        services.AddSingleton(sp => new RedisConnection(
            sp.GetRequiredService<IOptions<RedisChatKitOptions>>(), sp.GetService<RedisConnectionFactory>(), sp,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RedisConnection>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatKitHealthCheck, RedisConnection>(sp => sp.GetRequiredService<RedisConnection>()));
        services.AddSingleton<RedisContext>();
        services.AddSingleton<RedisFanout>();
        services.AddSingleton<RedisMessageStore>();
        services.AddSingleton<RedisPresenceStore>();
        services.AddSingleton<RedisChatBus>();
        services.AddSingleton<RedisNodeRegistry>();
        services.AddSingleton<RedisPushTokenStore>();
        services.AddSingleton<RedisLeasedIdGenerator>();
        services.AddHostedService<RedisNodeService>();
        return builder;
    }
}
