using ChatKit.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatKit.Storage.LiteDb.Tests;

/// <summary>Builds a generic host with ChatKit on LiteDB, as an application would.</summary>
internal static class ChatHost
{
    public static IHost Build(string path, Action<ChatKitOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        IChatKitBuilder chat = builder.Services.AddChatKit(o =>
        {
            o.RateLimit = new RateLimitOptions { Burst = 1_000_000, PermitsPerSecond = 1_000_000 };
            configure?.Invoke(o);
        });
        chat.AddLiteDbStorage(path);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    public static async Task<IHost> StartAsync(string path, Action<ChatKitOptions>? configure = null)
    {
        IHost host = Build(path, configure);
        await host.StartAsync();
        return host;
    }

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }
}
