using ChatKit.Hosting;
using ChatKit.Internal;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatKit.Ids;

/// <summary>
/// Snowflake ids with a worker id leased in Redis, so that two live nodes never share one. The lease is a field of
/// the <c>{nodes}:wlease</c> hash with an expiry on the Redis clock, renewed on every beat; the generator refuses
/// to issue ids (<c>unavailable</c>) once a third of the lease time has passed without a renewal, well before
/// another node could take the id over. A new lease prefers the id unused the longest, and waits until this
/// node's clock has passed the last time that id could have been used.
/// </summary>
internal sealed class RedisLeasedIdGenerator : IIdGenerator
{
    private static readonly TimeSpan MaxClockWait = TimeSpan.FromSeconds(30);

    private readonly RedisContext _ctx;
    private readonly ILogger _logger;
    private SnowflakeIdGenerator? _generator;
    private long _validUntil = long.MinValue;

    public RedisLeasedIdGenerator(RedisContext context, ILogger<RedisLeasedIdGenerator> logger)
    {
        _ctx = context;
        _logger = logger;
    }

    /// <summary>The leased worker id, or -1.</summary>
    public int WorkerId => Volatile.Read(ref _generator)?.WorkerId ?? -1;

    private RedisKey Leases => _ctx.Keys.Nodes.Sub("wlease");

    public long NextId()
    {
        SnowflakeIdGenerator? g = Volatile.Read(ref _generator);
        if (g is null || _ctx.Clock.GetTimestamp() > Interlocked.Read(ref _validUntil))
        {
            throw new ChatException(ChatErrorCode.Unavailable, "This node holds no id lease (Redis unreachable); retry shortly.");
        }

        return g.NextId();
    }

    /// <summary>Acquires a lease when none is held, or renews the held one.</summary>
    public async Task MaintainAsync(IDatabase db, CancellationToken cancellationToken)
    {
        long ttl = (long)_ctx.Options.NodeTimeout.TotalMilliseconds;
        long started = _ctx.Clock.GetTimestamp();
        SnowflakeIdGenerator? g = Volatile.Read(ref _generator);
        if (g is not null)
        {
            int renewed = (int)await db.ScriptEvaluateAsync(Scripts.RenewWorker, [Leases, _ctx.Keys.Nodes.WorkerLast], [_ctx.Instance, g.WorkerId, ttl]).ConfigureAwait(false);
            if (renewed == 1)
            {
                SetValid(started, ttl);
                return;
            }

            Log.WorkerLeaseLost(_logger, g.WorkerId);
            Volatile.Write(ref _generator, null);
        }

        var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.AcquireWorker, [Leases, _ctx.Keys.Nodes.WorkerLast],
            [_ctx.Instance, ttl, SnowflakeIdGenerator.MaxWorkerId]).ConfigureAwait(false))!;
        int workerId = (int)r[0];
        if (workerId < 0)
        {
            return;
        }

        // Ids this worker id was used for are stamped no later than its last lease's end.
        var lastUsed = DateTimeOffset.FromUnixTimeMilliseconds((long)r[1]);
        TimeSpan wait = lastUsed - _ctx.Clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait < MaxClockWait ? wait : MaxClockWait, _ctx.Clock, cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _generator, new SnowflakeIdGenerator(workerId, _ctx.Clock));
        SetValid(started, ttl);
        Log.WorkerLeased(_logger, workerId);
    }

    public async Task ReleaseAsync(IDatabase db)
    {
        SnowflakeIdGenerator? g = Interlocked.Exchange(ref _generator, null);
        if (g is not null)
        {
            await db.ScriptEvaluateAsync(Scripts.ReleaseWorker, [Leases], [_ctx.Instance, g.WorkerId]).ConfigureAwait(false);
        }
    }

    private void SetValid(long renewStarted, long ttlMs) =>
        Interlocked.Exchange(ref _validUntil, renewStarted + (long)(ttlMs * 2 / 3.0 / 1000 * _ctx.Clock.TimestampFrequency));
}
