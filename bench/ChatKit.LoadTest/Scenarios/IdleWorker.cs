using ChatKit.LoadTest.Cli;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// A generator child process that opens its share of idle connections, prints
/// <c>READY connected failed [first error]</c>, keeps them alive, and closes them on <c>STOP</c> or end of input.
/// </summary>
internal static class IdleWorker
{
    public static async Task<int> RunAsync(CommandLine cl)
    {
        var target = TargetNames.Parse(cl.Get("target", "chatkit"));
        var url = new Uri(cl.Get("url") ?? throw new ArgumentException("--url is required"));
        var first = cl.Get("first", 0);
        var count = cl.Get("count", 1000);
        var source = cl.Get("source", 1);
        var sources = cl.Get("sources", 50);
        var concurrency = cl.Get("connect-concurrency", 200);
        var webSocketBase = cl.Get("ws-url") is { } ws ? new Uri(ws) : null;
        var launch = new LaunchOptions { ChatKitPath = cl.Get("chatkit-path", "/chatkit"), ChatKitWebSocketBase = webSocketBase };
        cl.ThrowOnUnknown();

        var protocol = Deployment.CreateProtocol(target, url, launch, webSocketBase);
        var specs = Enumerable.Range(first, count).Select(i => new ClientSpec($"i{i}", "d0")).ToList();
        var pool = await ClientPool.ConnectAsync([protocol], specs, null, concurrency, ClientPool.NewInvoker(source, sources), throwOnFailure: false, receiveBufferSize: 1024).ConfigureAwait(false);
        Console.WriteLine($"READY {pool.Connections.Count - pool.Failed} {pool.Failed} {pool.FirstError?.ReplaceLineEndings(" ")}");
        Console.Out.Flush();

        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line && line != "STOP")
        {
        }

        await pool.DisposeAsync().ConfigureAwait(false);
        return 0;
    }
}
