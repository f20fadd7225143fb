using ChatKit.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatKit.Hosting;

/// <summary>
/// The node's Redis connection, made lazily: nothing connects in a constructor, and the host starts even while
/// Redis is down (commands then fail with <c>unavailable</c> and the health check reports unhealthy until it is up).
/// </summary>
internal sealed class RedisConnection : IChatKitHealthCheck, IAsyncDisposable
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(1);

    private readonly RedisChatKitOptions _options;
    private readonly Func<Task<IConnectionMultiplexer>>? _factory;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Task<IConnectionMultiplexer>? _connecting;
    private Task<IDatabase>? _database;
    private IConnectionMultiplexer? _mux;
    private bool _owned;
    private long _upSinceTimestamp = -1;

    public RedisConnection(IOptions<RedisChatKitOptions> options, RedisConnectionFactory? factory, IServiceProvider services, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _factory = factory is null ? null : () => factory.Create(services);
        _logger = logger;
    }

    /// <summary>Raised when a connection to a server comes back: pub/sub messages may have been lost meanwhile.</summary>
    public event Action? Restored;

    public string Name => "redis";

    public bool IsConnected => _mux?.IsConnected == true;

    /// <summary>Whether the connection has been up without interruption for at least <paramref name="span"/>.</summary>
    public bool UpFor(TimeSpan span)
    {
        long since = Interlocked.Read(ref _upSinceTimestamp);
        return since >= 0 && IsConnected && TimeProvider.System.GetElapsedTime(since) >= span;
    }

    public bool IsCluster
    {
        get
        {
            IConnectionMultiplexer? mux = _mux;
            if (mux is null)
            {
                return false;
            }

            foreach (IServer s in mux.GetServers())
            {
                if (s.ServerType == ServerType.Cluster)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public Task<IConnectionMultiplexer> GetAsync()
    {
        // Every command asks: once connected, answer without the lock.
        Task<IConnectionMultiplexer>? connecting = Volatile.Read(ref _connecting);
        if (connecting is { IsCompletedSuccessfully: true })
        {
            return connecting;
        }

        lock (_gate)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectAsync();
            }

            return _connecting;
        }
    }

    public Task<IDatabase> GetDatabaseAsync()
    {
        Task<IDatabase>? database = Volatile.Read(ref _database);
        if (database is not null)
        {
            return database;
        }

        Task<IConnectionMultiplexer> connecting = GetAsync();
        if (connecting.IsCompletedSuccessfully)
        {
            // The multiplexer is never replaced once connected: one task for every later command.
            database = Task.FromResult(connecting.Result.GetDatabase());
            Volatile.Write(ref _database, database);
            return database;
        }

        return GetDatabaseSlowAsync(connecting);
    }

    public async ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        Task<IConnectionMultiplexer> connecting = GetAsync();
        if (!connecting.IsCompletedSuccessfully || !connecting.Result.IsConnected)
        {
            return false;
        }

        try
        {
            await connecting.Result.GetDatabase().PingAsync().WaitAsync(HealthTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        IConnectionMultiplexer? mux = _mux;
        if (mux is not null && _owned)
        {
            await mux.CloseAsync().ConfigureAwait(false);
            mux.Dispose();
        }
    }

    private static async Task<IDatabase> GetDatabaseSlowAsync(Task<IConnectionMultiplexer> connecting) =>
        (await connecting.ConfigureAwait(false)).GetDatabase();

    private async Task<IConnectionMultiplexer> ConnectAsync()
    {
        await Task.Yield();
        IConnectionMultiplexer mux;
        try
        {
            if (_factory is not null)
            {
                mux = await _factory().ConfigureAwait(false);
                _owned = false;
            }
            else
            {
                ConfigurationOptions config = ConfigurationOptions.Parse(_options.Configuration!);
                config.AbortOnConnectFail = false;
                config.ClientName ??= "chatkit";

                // The default dedicated socket threads are woken (Monitor.Pulse) for every flush: with several small
                // commands per message that was most of a node's CPU (issue #5 profile). The thread pool is cheaper.
                config.SocketManager ??= SocketManager.ThreadPool;
                Log.Connecting(_logger, string.Join(",", config.EndPoints.Select(e => e.ToString())));
                mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
                _owned = true;
            }
        }
        catch (Exception ex)
        {
            Log.ConnectFailed(_logger, ex);
            throw new ChatException(ChatErrorCode.Unavailable, "Redis is unreachable.");
        }

        mux.ConnectionFailed += (_, e) =>
        {
            Interlocked.Exchange(ref _upSinceTimestamp, -1);
            Log.ConnectionLost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        };
        mux.ConnectionRestored += (_, e) =>
        {
            Log.ConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?");
            if (mux.IsConnected)
            {
                Interlocked.CompareExchange(ref _upSinceTimestamp, TimeProvider.System.GetTimestamp(), -1);
            }

            Restored?.Invoke();
        };
        if (mux.IsConnected)
        {
            Interlocked.Exchange(ref _upSinceTimestamp, TimeProvider.System.GetTimestamp());
        }

        _mux = mux;
        return mux;
    }
}
