using ChatKit.Hosting;
using ChatKit.Messaging;
using ChatKit.Push;
using ChatKit.Storage.LiteDb.Hosting;
using ChatKit.Storage.LiteDb.Internal;
using ChatKit.Storage.LiteDb.Messaging;
using ChatKit.Storage.LiteDb.Push;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts ChatKit's durable state in one LiteDB file.</summary>
public static class LiteDbChatKitBuilderExtensions
{
    /// <summary>
    /// Stores channels, history, inboxes, read marks, dedupe keys and push tokens in the LiteDB file at
    /// <paramref name="path"/>, replacing the in-memory defaults (whether called before or after
    /// <c>AddChatKit()</c>). Presence stays in memory. The file is opened when the host starts; a locked or corrupt
    /// file stops the start with a message naming it. Safe to call twice.
    /// </summary>
    /// <param name="builder">The builder from <c>AddChatKit()</c>.</param>
    /// <param name="path">The database file, relative to the working directory or absolute.</param>
    public static IChatKitBuilder AddLiteDbStorage(this IChatKitBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.AddLiteDbStorage(o => o.Path = path);
    }

    /// <summary>
    /// Stores ChatKit's durable state in a LiteDB file configured by <paramref name="configure"/> (see
    /// <see cref="AddLiteDbStorage(IChatKitBuilder, string)"/>).
    /// </summary>
    /// <param name="builder">The builder from <c>AddChatKit()</c>.</param>
    /// <param name="configure">Sets the options; <see cref="LiteDbStorageOptions.Path"/> defaults to <c>chatkit.db</c>.</param>
    public static IChatKitBuilder AddLiteDbStorage(this IChatKitBuilder builder, Action<LiteDbStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        IServiceCollection services = builder.Services;
        services.Configure(configure);
        services.AddOptions<LiteDbStorageOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiteDbStorageOptions>, LiteDbStorageOptionsValidator>());
        services.TryAddSingleton<LiteDbChatDatabase>();
        services.TryAddSingleton<LiteDbMessageStore>();
        services.TryAddSingleton<LiteDbPushTokenStore>();

        // AddChatKit registers its in-memory defaults with TryAdd: replace them, before or after it ran.
        services.RemoveAll<IMessageStore>();
        services.AddSingleton<IMessageStore>(static sp => sp.GetRequiredService<LiteDbMessageStore>());
        services.RemoveAll<IPushTokenStore>();
        services.AddSingleton<IPushTokenStore>(static sp => sp.GetRequiredService<LiteDbPushTokenStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LiteDbStartupService>());
        return builder;
    }
}
