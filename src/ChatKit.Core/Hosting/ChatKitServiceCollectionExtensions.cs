using ChatKit;
using ChatKit.Discovery;
using ChatKit.Fanout;
using ChatKit.Hosting;
using ChatKit.Ids;
using ChatKit.Limits;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Push;
using ChatKit.Sync;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ChatKit's engine.</summary>
public static class ChatKitServiceCollectionExtensions
{
    /// <summary>
    /// Adds the ChatKit engine with in-memory defaults for every pluggable part (store, presence, bus, node registry,
    /// push tokens). Adapters from other packages replace them through the returned builder. Safe to call twice;
    /// options are validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options; may be <see langword="null"/>.</param>
    public static IChatKitBuilder AddChatKit(this IServiceCollection services, Action<ChatKitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        var builder = new ChatKitBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(ChatKitMarkerService)))
        {
            return builder;
        }

        services.AddSingleton<ChatKitMarkerService>();
        services.AddOptions<ChatKitOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatKitOptions>, ChatKitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(typeof(ILogger<>), typeof(NullLogger<>));

        // Pluggable parts: adapters register theirs (before or after this call) and win over these defaults.
        services.TryAddSingleton<IMessageStore, InMemoryMessageStore>();
        services.TryAddSingleton<IPresenceStore, InMemoryPresenceStore>();
        services.TryAddSingleton<IChatBus, LocalChatBus>();
        services.TryAddSingleton<INodeRegistry, InMemoryNodeRegistry>();
        services.TryAddSingleton<IPushTokenStore, InMemoryPushTokenStore>();
        services.TryAddSingleton<IChatAuthorizer, AllowAllChatAuthorizer>();
        services.TryAddSingleton<IIdGenerator>(sp => new SnowflakeIdGenerator(
            sp.GetRequiredService<IOptions<ChatKitOptions>>().Value.WorkerId, sp.GetRequiredService<TimeProvider>()));

        // The engine's own parts.
        services.TryAddSingleton<UserRateLimiter>();
        services.TryAddSingleton<InboxWaiters>();
        services.TryAddSingleton<PresenceService>();
        services.TryAddSingleton<PushDispatcher>();
        services.TryAddSingleton(sp => new SessionManager(
            sp.GetRequiredService<IMessageStore>(), sp.GetRequiredService<PresenceService>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ChatKitOptions>>()));
        services.TryAddSingleton(sp => new NodeDiscovery(
            sp.GetRequiredService<INodeRegistry>(), sp.GetRequiredService<SessionManager>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ChatKitOptions>>()));
        services.TryAddSingleton<LiveDelivery>();
        services.TryAddSingleton<IInboxAppendListener>(sp => sp.GetRequiredService<LiveDelivery>());
        services.TryAddSingleton<IChatEngine, ChatEngine>();
        services.AddHostedService<ChatKitHostedService>();
        return builder;
    }
}
