using ChatKit.Fanout;
using ChatKit.Ids;
using ChatKit.Internal;
using ChatKit.Presence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatKit.Hosting;

/// <summary>
/// The node's Redis lifecycle: connects in the background (the host starts even while Redis is down), and on every
/// beat announces this instance, keeps its worker id lease, cleans up after dead instances (their users go
/// offline, their fan-out jobs are taken over), and retries fan-out that failed. On stop it releases the lease and
/// marks itself dead so that the others take over at once.
/// </summary>
internal sealed class RedisNodeService : BackgroundService
{
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StaleJobAge = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReapLockTime = TimeSpan.FromSeconds(60);

    private readonly RedisContext _ctx;
    private readonly RedisPresenceStore _presence;
    private readonly RedisChatBus _bus;
    private readonly RedisFanout _fanout;
    private readonly RedisLeasedIdGenerator _ids;
    private readonly ILogger _logger;
    private long _lastSweep;

    public RedisNodeService(RedisContext context, RedisPresenceStore presence, RedisChatBus bus, RedisFanout fanout,
        RedisLeasedIdGenerator ids, ILogger<RedisNodeService> logger)
    {
        _ctx = context;
        _presence = presence;
        _bus = bus;
        _fanout = fanout;
        _ids = ids;
        _logger = logger;
        _lastSweep = context.Clock.GetTimestamp();
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // When Redis is up, be ready (instance announced, worker id leased) before the host takes requests; when it
        // is down, start anyway and let the beats catch up.
        try
        {
            await _ctx.Connection.GetAsync().WaitAsync(StartWait, cancellationToken).ConfigureAwait(false);
            if (_ctx.Connection.IsConnected)
            {
                await BeatAsync(cancellationToken).WaitAsync(StartWait, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException or ChatException)
        {
            Log.BackgroundFailed(_logger, "first beat", ex);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!_ctx.Connection.IsConnected)
        {
            return;
        }

        try
        {
            IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
            await _ids.ReleaseAsync(db).ConfigureAwait(false);
            await db.ScriptEvaluateAsync(Scripts.InstanceBeat, [_ctx.Keys.Nodes.Instances], [_ctx.Instance, 0]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ChatException)
        {
            Log.BackgroundFailed(_logger, "stop", ex);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_ctx.Options.BeatInterval, _ctx.Clock);
        try
        {
            do
            {
                try
                {
                    await BeatAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BackgroundFailed(_logger, "beat", ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One beat. Public to tests through <see cref="BeatAsync"/>.</summary>
    internal async Task BeatAsync(CancellationToken cancellationToken)
    {
        IConnectionMultiplexer mux = await _ctx.Connection.GetAsync().ConfigureAwait(false);
        if (!mux.IsConnected)
        {
            return;
        }

        IDatabase db = mux.GetDatabase();
        var beat = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.InstanceBeat, [_ctx.Keys.Nodes.Instances], [_ctx.Instance, -1]).ConfigureAwait(false))!;
        if ((int)beat[0] == 1 && _ctx.InstanceAnnounced)
        {
            // Another node took this one for dead (a long pause or partition) and removed its sessions and slots.
            _fanout.ForgetSlots();
            List<PresenceChange> back = await _presence.ReregisterAsync(db).ConfigureAwait(false);
            Log.Reregistered(_logger, _presence.LocalSessionCount);
            foreach (PresenceChange change in back)
            {
                await _bus.PublishPresenceEverywhereAsync(change).ConfigureAwait(false);
            }
        }

        _ctx.InstanceAnnounced = true;
        await _ids.MaintainAsync(db, cancellationToken).ConfigureAwait(false);

        // After an outage every beat is old: give the live nodes a full timeout to beat again before judging them.
        if (_ctx.Connection.UpFor(_ctx.Options.NodeTimeout))
        {
            await ReapDeadAsync(db).ConfigureAwait(false);
        }

        await _fanout.RetryAsync().ConfigureAwait(false);
        if (_ctx.Clock.GetElapsedTime(_lastSweep) >= SweepInterval)
        {
            _lastSweep = _ctx.Clock.GetTimestamp();
            await _fanout.SweepOwnSlotsAsync(db, StaleJobAge).ConfigureAwait(false);
        }
    }

    private async Task ReapDeadAsync(IDatabase db)
    {
        var dead = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.DeadInstances, [_ctx.Keys.Nodes.Instances],
            [(long)_ctx.Options.NodeTimeout.TotalMilliseconds]).ConfigureAwait(false))!;
        foreach (RedisResult d in dead)
        {
            string instance = (string)d!;
            if (string.Equals(instance, _ctx.Instance, StringComparison.Ordinal))
            {
                continue;
            }

            RedisKey reapLock = _ctx.Keys.Nodes.Sub("reap:" + instance);
            if (!await db.StringSetAsync(reapLock, _ctx.Instance, ReapLockTime, When.NotExists).ConfigureAwait(false))
            {
                continue;
            }

            (List<PresenceChange> offline, int users) = await _presence.ReapAsync(db, instance).ConfigureAwait(false);
            foreach (PresenceChange change in offline)
            {
                await _bus.PublishPresenceEverywhereAsync(change).ConfigureAwait(false);
            }

            int slots = await _fanout.TakeOverAsync(db, instance).ConfigureAwait(false);
            await db.SortedSetRemoveAsync(_ctx.Keys.Nodes.Instances, instance).ConfigureAwait(false);
            await db.KeyDeleteAsync(reapLock).ConfigureAwait(false);
            Log.Reaped(_logger, instance, users, slots);
        }
    }
}
