namespace ChatKit;

/// <summary>Options of ChatKit on Redis (<c>AddRedis</c>). Validated when the host starts.</summary>
public sealed class RedisChatKitOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration string, for example <c>localhost:6379</c> or
    /// <c>10.0.0.1:7000,10.0.0.2:7000,password=...</c> for a cluster. Ignored when the host passes its own
    /// connection factory. Never logged: log lines show only the endpoints. Default: <see langword="null"/>.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Prefix of every key and pub/sub channel, so that several ChatKit deployments (or other apps) can share one
    /// Redis. Must not contain <c>{</c> or <c>}</c> (they would break the cluster hash tags). Default <c>chatkit:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "chatkit:";

    /// <summary>
    /// How long a node (process) may miss heartbeats before the others consider it dead: its users go offline, its
    /// fan-out jobs are claimed, its worker id lease expires. Default 10 s.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often this node beats, renews its worker id lease and looks for dead nodes. Default 2 s.</summary>
    public TimeSpan BeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a fan-out worker owns a channel's job queue before another may take over (renewed while it works).
    /// Default 10 s.
    /// </summary>
    public TimeSpan FanoutLockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most fan-out jobs a worker takes at once from one channel's queue. Default 64.</summary>
    public int FanoutBatchSize { get; set; } = 64;

    /// <summary>
    /// How long fan-out for group changes and read marks may take before the call returns anyway (the job is
    /// durable and completes in the background). Default 5 s.
    /// </summary>
    public TimeSpan SynchronousFanoutWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a committed message answers before its fan-out has reached the members' inboxes (default
    /// <see langword="true"/>): the sender's <c>ok</c> then waits for one Redis round trip, and the fan-out worker
    /// delivers the inbox entries live as it appends them. <see langword="false"/> waits for the fan-out and returns
    /// the entries in <c>CommitResult.Appended</c>, like the in-memory store.
    /// </summary>
    public bool DeferMessageFanout { get; set; } = true;

    /// <summary>
    /// Whether cross-node delivery uses sharded pub/sub (<c>SPUBLISH</c>, Redis 7+), which on a Redis Cluster
    /// reaches only the shard of the channel instead of every shard. <see langword="null"/> (default): when the
    /// server is a cluster.
    /// </summary>
    public bool? UseShardedPubSub { get; set; }
}
