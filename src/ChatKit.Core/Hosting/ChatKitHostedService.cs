using ChatKit.Discovery;
using ChatKit.Fanout;
using ChatKit.Internal;
using ChatKit.Limits;
using ChatKit.Push;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Hosting;

/// <summary>
/// The node's background work: starts the bus, closes silent sessions, announces the node for discovery, prunes
/// rate-limit buckets and runs push dispatch. On stop it drains the node's sessions.
/// </summary>
internal sealed class ChatKitHostedService : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private readonly IChatBus _bus;
    private readonly LiveDelivery _delivery;
    private readonly SessionManager _sessions;
    private readonly NodeDiscovery _discovery;
    private readonly INodeRegistry _registry;
    private readonly UserRateLimiter _rateLimiter;
    private readonly PushDispatcher _push;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;
    private readonly ILogger _logger;

    public ChatKitHostedService(IChatBus bus, LiveDelivery delivery, SessionManager sessions, NodeDiscovery discovery, INodeRegistry registry,
        UserRateLimiter rateLimiter, PushDispatcher push, TimeProvider clock, IOptions<ChatKitOptions> options, ILogger<ChatKitHostedService> logger)
    {
        _bus = bus;
        _delivery = delivery;
        _sessions = sessions;
        _discovery = discovery;
        _registry = registry;
        _rateLimiter = rateLimiter;
        _push = push;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _bus.StartAsync(_delivery, cancellationToken).ConfigureAwait(false);
        await BeatAsync(cancellationToken).ConfigureAwait(false);
        Log.NodeStarted(_logger, _options.NodeId);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _sessions.Drain();
        try
        {
            await _registry.RemoveAsync(_options.NodeId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.NodeHeartbeatFailed(_logger, ex);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        RepeatAsync(_options.HeartbeatInterval / 2, "heartbeat sweep", () =>
        {
            int closed = _sessions.SweepSilentSessions();
            if (closed > 0)
            {
                Log.SilentSessionsClosed(_logger, closed);
            }

            return Task.CompletedTask;
        }, stoppingToken),
        RepeatAsync(NodeDiscovery.BeatInterval, "node heartbeat", () => BeatAsync(stoppingToken), stoppingToken),
        RepeatAsync(PruneInterval, "rate limit prune", () =>
        {
            _rateLimiter.Prune();
            return Task.CompletedTask;
        }, stoppingToken),
        _push.Enabled ? _push.RunAsync(stoppingToken) : Task.CompletedTask);

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _discovery.BeatAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.NodeHeartbeatFailed(_logger, ex);
        }
    }

    private async Task RepeatAsync(TimeSpan interval, string work, Func<Task> action, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await action().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BackgroundFailed(_logger, work, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
