using ChatKit.Hosting;

namespace ChatKit.Samples.Server;

/// <summary>Chooses the sample's storage from <c>ChatKit:Storage</c>.</summary>
internal static class IChatKitBuilderExtensions
{
    public static IChatKitBuilder AddSampleStorage(IChatKitBuilder chat, IConfigurationSection chatKit)
    {
        // Several nodes on one Redis form one cluster: --ChatKit:Redis:Configuration=127.0.0.1:6379
        // (and --ChatKit:PublicUrl=ws://host:port/chatkit so that discovery can send clients to this node).
        IConfigurationSection redis = chatKit.GetSection("Redis");
        if (!string.IsNullOrWhiteSpace(redis["Configuration"]))
        {
            return chat.AddRedis(redis["Configuration"]!, o => redis.Bind(o));
        }

        string storage = chatKit["Storage"] ?? "LiteDb";
        if (string.Equals(storage, "InMemory", StringComparison.OrdinalIgnoreCase))
        {
            return chat;
        }

        if (string.Equals(storage, "LiteDb", StringComparison.OrdinalIgnoreCase))
        {
            // Durable by default: one file in the working directory unless ChatKit:LiteDb:Path says otherwise; the
            // other ChatKit:LiteDb:* keys tune batching and materialization (docs/configuration.md).
            IConfigurationSection liteDb = chatKit.GetSection("LiteDb");
            return chat.AddLiteDbStorage(o => liteDb.Bind(o));
        }

        throw new InvalidOperationException($"ChatKit:Storage must be LiteDb or InMemory, not '{storage}'.");
    }
}
