using ChatKit.LoadTest.Protocols;

namespace ChatKit.LoadTest.Servers;

/// <summary>The server side of one measurement: one or two nodes of one target, and Redis when there are two.</summary>
internal sealed class Deployment : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly List<ServerProcess> _nodes = [];
    private readonly List<int> _pids = [];
    private ServerProcess? _redis;

    private Deployment(Target target) => Target = target;

    public Target Target { get; }

    /// <summary>One protocol instance per node (ChatKit tokens are per node).</summary>
    public List<IWireProtocol> Protocols { get; } = [];

    public IReadOnlyList<int> ServerPids => _pids;

    public List<Uri> HttpBases { get; } = [];

    /// <summary>Per node, where its WebSockets are served when not at its HTTP base (ChatKit with <c>--chatkit-listener</c> or <c>--chatkit-socket-listener</c>).</summary>
    public List<Uri?> WebSocketBases { get; } = [];

    public int? RedisPid => _redis?.Pid;

    public double CpuSeconds() => _pids.Sum(ProcStats.CpuSeconds);

    public long RssBytes() => _pids.Sum(ProcStats.RssBytes);

    public double RedisCpuSeconds() => _redis is null ? 0 : ProcStats.CpuSeconds(_redis.Pid);

    public static async Task<Deployment> StartAsync(Target target, int nodes, LaunchOptions options)
    {
        var deployment = new Deployment(target);
        try
        {
            if (options.ExternalUrl is { } url)
            {
                deployment.Protocols.Add(CreateProtocol(target, url, options, options.ChatKitWebSocketBase));
                deployment.HttpBases.Add(url);
                deployment.WebSocketBases.Add(options.ChatKitWebSocketBase);
                if (options.ExternalPid is { } pid)
                {
                    deployment._pids.Add(pid);
                }

                return deployment;
            }

            string? redis = null;
            if (nodes > 1)
            {
                var redisPort = ServerProcess.FreePort();
                deployment._redis = ServerProcess.Start("redis", options.ServerCpus, options.Nice, redisPort, RepoPaths.ArtifactsDirectory, new Dictionary<string, string>(),
                    "redis-server", "--port", redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no");
                await deployment._redis.WaitReadyAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
                redis = $"127.0.0.1:{redisPort}";
            }

            for (var i = 0; i < nodes; i++)
            {
                var (node, webSocketBase) = StartNode(target, i, redis, options);
                deployment.WebSocketBases.Add(webSocketBase);
                deployment._nodes.Add(node);
                deployment._pids.Add(node.Pid);
            }

            for (var i = 0; i < nodes; i++)
            {
                var node = deployment._nodes[i];
                await node.WaitReadyAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
                deployment.Protocols.Add(CreateProtocol(target, node.HttpBase, options, deployment.WebSocketBases[i]));
                deployment.HttpBases.Add(node.HttpBase);
            }

            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static (ServerProcess Node, Uri? WebSocketBase) StartNode(Target target, int index, string? redis, LaunchOptions options)
    {
        var port = ServerProcess.FreePort();
        var urls = $"http://127.0.0.1:{port}";
        var dotnetEnv = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["DOTNET_NOLOGO"] = "1",

            // Every .NET server alike (ChatKit, SignalR, relay): a thread-pool worker that runs out of work spins before
            // it sleeps, which on the server's one pinned core burns the time the next socket event needs; on this
            // machine it added about a quarter to ChatKit's CPU per delivery at a fixed rate (docs/benchmarks.md).
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",

            // Every .NET server alike: code without ready-to-run images is compiled optimized at its first call. The
            // sample server sets this itself; on one core, tiering kept a LiteDB node in unoptimized code for 40 s
            // and more under load (docs/configuration.md, "Tiered compilation on a one-CPU node").
            ["DOTNET_TC_QuickJit"] = "0",
        };

        // Every .NET server alike: on one CPU, one thread-pool worker. The sample server sets this itself; a second
        // worker there only wakes to find the work taken (docs/configuration.md, "One thread-pool worker on a one-CPU node").
        if (options.ServerCpuCount == 1)
        {
            dotnetEnv["DOTNET_ThreadPool_ForceMaxWorkerThreads"] = "1";
        }

        // Every .NET server alike, in a run on ChatKit's own socket listener: socket completions run on the socket
        // engine's thread instead of a thread-pool item each, as the listener is meant to be deployed; with the
        // listener's writers on the thread that queued the frame, a 1:1 delivery then makes no thread hand-off at all
        // (docs/configuration.md, "The host's runtime: inline socket completions with the socket listener").
        if (options.ChatKitSocketListener)
        {
            dotnetEnv["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        }

        switch (target)
        {
            case Target.ChatKit or Target.ChatKitLiteDb:
            {
                dotnetEnv["ASPNETCORE_ENVIRONMENT"] = "Development";
                var args = new List<string>
                {
                    RepoPaths.OutputDll(RepoPaths.ChatKitServerProject), "--urls", urls,
                    "--ChatKit:RateLimit:PermitsPerSecond=1000000", "--ChatKit:RateLimit:Burst=1000000",
                };
                if (target == Target.ChatKitLiteDb)
                {
                    // A fresh file per start, so that every round measures the same (empty) database.
                    string file = Path.Combine(Path.GetTempPath(), $"chatkit-loadtest-{port}.db");
                    var journal = Directory.GetFiles(Path.GetDirectoryName(file)!, Path.GetFileName(file) + "-journal.*");
                    foreach (string stale in new[] { file, Path.ChangeExtension(file, null) + "-log.db", file + ".lock" }.Concat(journal))
                    {
                        File.Delete(stale);
                    }

                    args.Add("--ChatKit:Storage=LiteDb");
                    args.Add("--ChatKit:LiteDb:Path=" + file);
                }
                else if (redis is null)
                {
                    args.Add("--ChatKit:Storage=" + options.ChatKitStorage);
                }
                else
                {
                    args.Add("--ChatKit:Redis:Configuration=" + redis);
                    args.Add($"--ChatKit:PublicUrl=ws://127.0.0.1:{port}{options.ChatKitPath}");
                }

                Uri? webSocketBase = null;
                if (options.ChatKitListener || options.ChatKitSocketListener)
                {
                    var webSocketPort = ServerProcess.FreePort();
                    args.Add($"--ChatKit:{(options.ChatKitSocketListener ? "SocketListener" : "WebSocketListener")}=127.0.0.1:{webSocketPort}");
                    webSocketBase = new Uri($"http://127.0.0.1:{webSocketPort}");
                }

                args.AddRange(options.ChatKitArgs);
                return (ServerProcess.Start($"chatkit{index}", options.ServerCpus, options.Nice, port, Path.GetDirectoryName(RepoPaths.ChatKitServerProject)!, dotnetEnv, "dotnet", [.. args]), webSocketBase);
            }

            case Target.SignalR:
            {
                var args = new List<string> { RepoPaths.OutputDll(RepoPaths.SignalRProject), "--urls", urls, "--UserDelivery=" + options.SignalRUserDelivery };
                if (redis is not null)
                {
                    args.Add("--Redis=" + redis);
                }

                return (ServerProcess.Start($"signalr{index}", options.ServerCpus, options.Nice, port, Path.GetDirectoryName(RepoPaths.SignalRProject)!, dotnetEnv, "dotnet", [.. args]), null);
            }

            case Target.Relay:
                if (redis is not null)
                {
                    throw new NotSupportedException("The relay has no multi-node mode.");
                }

                return (ServerProcess.Start($"relay{index}", options.ServerCpus, options.Nice, port, Path.GetDirectoryName(RepoPaths.RelayProject)!, dotnetEnv, "dotnet", RepoPaths.OutputDll(RepoPaths.RelayProject), "--urls", urls), null);

            default:
            {
                var args = new List<string> { "server.js", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                if (redis is not null)
                {
                    args.Add("--redis");
                    args.Add(redis);
                }

                return (ServerProcess.Start($"socketio{index}", options.ServerCpus, options.Nice, port, RepoPaths.SocketIoDirectory, new Dictionary<string, string> { ["NODE_ENV"] = "production" }, "node", [.. args]), null);
            }
        }
    }

    public static IWireProtocol CreateProtocol(Target target, Uri httpBase, LaunchOptions options, Uri? webSocketBase = null) => target switch
    {
        Target.ChatKit or Target.ChatKitLiteDb => new ChatKitProtocol(httpBase, options.ChatKitPath, Http, webSocketBase),
        Target.SignalR => new SignalRProtocol(httpBase, "/hub"),
        Target.SocketIo => new SocketIoProtocol(httpBase, options.SocketIoAcknowledged),
        _ => new RelayProtocol(httpBase),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }
}
