using System.Diagnostics;
using StackExchange.Redis;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>What a test needs from a Redis deployment: a configuration string and a shared connection.</summary>
public abstract class RedisDeployment : IAsyncLifetime
{
    private ConnectionMultiplexer? _mux;

    public abstract string Configuration { get; }

    public abstract bool IsCluster { get; }

    public IConnectionMultiplexer Connection => _mux!;

    public virtual async Task InitializeAsync()
    {
        var config = ConfigurationOptions.Parse(Configuration);
        config.AbortOnConnectFail = false;
        _mux = await ConnectionMultiplexer.ConnectAsync(config);
    }

    public virtual async Task DisposeAsync()
    {
        if (_mux is not null)
        {
            await _mux.CloseAsync(allowCommandsToComplete: false);
            _mux.Dispose();
        }
    }

    /// <summary>A key prefix no other test uses, so tests share a server without seeing each other's data.</summary>
    public static string UniquePrefix() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";
}

/// <summary>One standalone redis-server for the whole test run.</summary>
public sealed class StandaloneRedis : RedisDeployment
{
    public RedisServer Server { get; } = new();

    public override string Configuration => Server.EndPoint;

    public override bool IsCluster => false;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Server.Dispose();
    }
}

/// <summary>A 3-master Redis Cluster on loopback, created with <c>redis-cli --cluster create</c>.</summary>
public sealed class ClusterRedis : RedisDeployment
{
    private readonly List<RedisServer> _servers = [];

    public override string Configuration => string.Join(",", _servers.Select(s => s.EndPoint));

    public override bool IsCluster => true;

    public override async Task InitializeAsync()
    {
        for (int i = 0; i < 3; i++)
        {
            _servers.Add(new RedisServer(null, "cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000"));
        }

        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--cluster");
        psi.ArgumentList.Add("create");
        foreach (RedisServer s in _servers)
        {
            psi.ArgumentList.Add(s.EndPoint);
        }

        psi.ArgumentList.Add("--cluster-replicas");
        psi.ArgumentList.Add("0");
        psi.ArgumentList.Add("--cluster-yes");
        using (Process p = Process.Start(psi)!)
        {
            string output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException("redis-cli --cluster create failed: " + output);
            }
        }

        RedisServer.WaitUntil(() => _servers.All(s => s.Cli("cluster", "info").Contains("cluster_state:ok", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), "the cluster did not become ok");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (RedisServer s in _servers)
        {
            s.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandaloneRedis>
{
    public const string Name = "redis standalone";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterRedis>
{
    public const string Name = "redis cluster";
}
