using System.Security.Cryptography;
using ChatKit.Internal;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatKit.Hosting;

/// <summary>
/// What every Redis part of one node shares: the connection, the keys, the options and this process's instance id.
/// The instance id (<c>NodeId</c> and a random suffix) names this process in Redis, so that a node restarted with
/// the same <c>NodeId</c> is told apart from the crashed one whose sessions and jobs must be cleaned up.
/// </summary>
internal sealed class RedisContext
{
    public RedisContext(RedisConnection connection, IOptions<RedisChatKitOptions> options, IOptions<ChatKitOptions> chatOptions, TimeProvider clock)
    {
        Connection = connection;
        Options = options.Value;
        ChatOptions = chatOptions.Value;
        Clock = clock;
        Keys = new RedisKeys(Options.KeyPrefix);
        Instance = ChatOptions.NodeId + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    }

    public RedisConnection Connection { get; }

    public RedisChatKitOptions Options { get; }

    public ChatKitOptions ChatOptions { get; }

    public TimeProvider Clock { get; }

    public RedisKeys Keys { get; }

    public string Instance { get; }

    public long NowMs => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whether this instance has announced itself (it must before it leaves sessions or jobs in Redis).</summary>
    public bool InstanceAnnounced { get; set; }

    /// <summary>
    /// Announces this instance before its first session or job, so that if it dies before its first regular beat
    /// the others still find it and clean up after it.
    /// </summary>
    public async Task EnsureAnnouncedAsync(IDatabase db)
    {
        if (!InstanceAnnounced)
        {
            await db.ScriptEvaluateAsync(Scripts.InstanceBeat, [Keys.Nodes.Instances], [Instance, -1]).ConfigureAwait(false);
            InstanceAnnounced = true;
        }
    }

    /// <summary>Runs Redis work, turning an unreachable or recovering server into <c>unavailable</c>.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // A cancelled caller (a health probe with a timeout) returns at once; the command itself runs to its end.
            IDatabase db = await Connection.GetDatabaseAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return await work(db).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw new ChatException(ChatErrorCode.Unavailable, "Storage is unavailable; retry shortly.");
        }
    }

    public static bool IsTransient(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException s => s.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || s.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || s.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || s.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || s.Message.StartsWith("READONLY", StringComparison.Ordinal),
        ChatException { Code: ChatErrorCode.Unavailable } => true,
        _ => false,
    };
}
