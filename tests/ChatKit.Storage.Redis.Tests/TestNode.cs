using ChatKit.Fanout;
using ChatKit.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>A ChatKit node on Redis inside the test process: its own connection, hosted services started.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private bool _stopped;

    private TestNode(ServiceProvider services, List<IHostedService> hosted)
    {
        _services = services;
        _hosted = hosted;
    }

    public IServiceProvider Services => _services;

    public IChatEngine Engine => _services.GetRequiredService<IChatEngine>();

    public SessionManager Sessions => _services.GetRequiredService<SessionManager>();

    public static async Task<TestNode> StartAsync(string configuration, string prefix, string nodeId,
        Action<ChatKitOptions>? chat = null, Action<RedisChatKitOptions>? redis = null)
    {
        var services = new ServiceCollection();
        services.AddChatKit(o =>
        {
            o.NodeId = nodeId;
            o.PresenceGracePeriod = TimeSpan.Zero;
            o.RateLimit.Burst = 1_000_000;
            o.RateLimit.PermitsPerSecond = 1_000_000;
            chat?.Invoke(o);
        }).AddRedis(configuration, o =>
        {
            o.KeyPrefix = prefix;
            o.NodeTimeout = TimeSpan.FromSeconds(3);
            o.BeatInterval = TimeSpan.FromMilliseconds(500);
            o.FanoutLockTimeout = TimeSpan.FromSeconds(2);
            redis?.Invoke(o);
        });
        ServiceProvider sp = services.BuildServiceProvider();
        var hosted = sp.GetServices<IHostedService>().ToList();
        foreach (IHostedService h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }

        return new TestNode(sp, hosted);
    }

    public async Task<bool> IsHealthyAsync()
    {
        foreach (IChatKitHealthCheck c in _services.GetServices<IChatKitHealthCheck>())
        {
            if (!await c.IsHealthyAsync())
            {
                return false;
            }
        }

        return true;
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (IHostedService h in Enumerable.Reverse(_hosted))
        {
            await h.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
