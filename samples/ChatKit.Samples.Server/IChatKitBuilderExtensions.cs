using ChatKit.Hosting;

namespace ChatKit.Samples.Server;

/// <summary>Chooses the sample's storage from <c>ChatKit:Storage</c>.</summary>
internal static class IChatKitBuilderExtensions
{
    public static IChatKitBuilder AddSampleStorage(IChatKitBuilder chat, IConfigurationSection chatKit)
    {
        string storage = chatKit["Storage"] ?? "LiteDb";
        if (string.Equals(storage, "InMemory", StringComparison.OrdinalIgnoreCase))
        {
            return chat;
        }

        if (string.Equals(storage, "LiteDb", StringComparison.OrdinalIgnoreCase))
        {
            // TODO(LiteDB): once src/ChatKit.Storage.LiteDb lands, reference it and use
            //     chat.AddLiteDbStorage(chatKit["LiteDb:Path"] ?? "chatkit.db");
            // Until then the default store (in-memory) serves.
            return chat;
        }

        throw new InvalidOperationException($"ChatKit:Storage must be LiteDb or InMemory, not '{storage}'.");
    }
}
