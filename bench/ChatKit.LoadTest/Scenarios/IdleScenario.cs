using System.Diagnostics;
using System.Globalization;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// Memory per idle connection. The connections are held by several generator child processes
/// (<c>idle-worker</c>), each under the per-process open-file limit, and bound to many 127.0.0.x source
/// addresses so that no source runs out of ephemeral ports. None of the servers can be asked for a
/// forced GC from outside, so memory is the server's RSS sampled after a quiet period, before and
/// after the connections are opened (median of three samples two seconds apart each time).
/// </summary>
internal static class IdleScenario
{
    private const int SourcesPerWorker = 50;

    public static async Task<IdleResult> RunAsync(Deployment deployment, ScenarioOptions options, LaunchOptions launch, string label, CancellationToken cancellationToken)
    {
        var pid = deployment.ServerPids.Count > 0 ? deployment.ServerPids[0] : throw new InvalidOperationException("idle needs the server's pid (--server-pid with --url).");
        var protocol = deployment.Protocols[0];

        // Warm the server's connection path once (JIT, pools) so that its first-use cost is in the "before" figure.
        var warm = await ClientPool.ConnectAsync(deployment.Protocols, Enumerable.Range(0, 50).Select(i => new ClientSpec($"warm{i}", "d0")).ToList(), null, 50, ClientPool.NewInvoker(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await warm.DisposeAsync().ConfigureAwait(false);
        Console.WriteLine($"  [{label}] quiet {options.QuietSeconds:F0} s before sampling the baseline RSS");
        await Task.Delay(TimeSpan.FromSeconds(options.QuietSeconds), cancellationToken).ConfigureAwait(false);
        var before = await SampleRssAsync(pid, cancellationToken).ConfigureAwait(false);

        var workers = new List<Process>();
        var connectWatch = Stopwatch.StartNew();
        var remaining = options.Connections;
        var first = 0;
        for (var w = 0; remaining > 0; w++)
        {
            var count = Math.Min(options.PerWorker, remaining);
            workers.Add(StartWorker(deployment.Target, protocolUrl: launchUrl(deployment, launch), deployment.WebSocketBases[0], first, count, 1 + (w * SourcesPerWorker), launch.ChatKitPath, options.ConnectConcurrency));
            first += count;
            remaining -= count;
        }

        var connected = 0;
        var failed = 0;
        string? firstError = null;
        foreach (var worker in workers)
        {
            while (true)
            {
                var line = await worker.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("An idle worker exited before it was ready: " + await worker.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', 4);
                    connected += int.Parse(parts[1], CultureInfo.InvariantCulture);
                    failed += int.Parse(parts[2], CultureInfo.InvariantCulture);
                    if (parts.Length > 3 && parts[3].Length > 0)
                    {
                        firstError ??= parts[3];
                    }

                    break;
                }

                Console.WriteLine($"  [{label}] worker {worker.Id}: {line}");
            }
        }

        var connectSeconds = connectWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"  [{label}] {connected:N0} connected ({failed} failed) in {connectSeconds:F1} s; quiet {options.QuietSeconds:F0} s before sampling");
        await Task.Delay(TimeSpan.FromSeconds(options.QuietSeconds), cancellationToken).ConfigureAwait(false);
        var after = await SampleRssAsync(pid, cancellationToken).ConfigureAwait(false);

        // Idle CPU over the next quiet period, not the first: right after the connections open, a .NET server is
        // still compiling the connection path it just ran 10,000 times at its final tier (and the heartbeat path
        // once the first heartbeats come due), a one-time cost that is not what an idle connection costs.
        Console.WriteLine($"  [{label}] idle CPU over the next {options.QuietSeconds:F0} s");
        var cpu0 = ProcStats.CpuSeconds(pid);
        var quiet = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.QuietSeconds), cancellationToken).ConfigureAwait(false);
        var idleCpu = (ProcStats.CpuSeconds(pid) - cpu0) / quiet.Elapsed.TotalSeconds;

        foreach (var worker in workers)
        {
            try
            {
                await worker.StandardInput.WriteLineAsync("STOP").ConfigureAwait(false);
                await worker.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }

        foreach (var worker in workers)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await worker.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                worker.Kill();
            }

            worker.Dispose();
        }

        var result = new IdleResult
        {
            Requested = options.Connections,
            Connected = connected,
            Failed = failed,
            Workers = workers.Count,
            ConnectSeconds = connectSeconds,
            RssBeforeBytes = before,
            RssAfterBytes = after,
            BytesPerConnection = connected == 0 ? 0 : (double)(after - before) / connected,
            ServerIdleCpuUtilization = idleCpu,
            FirstError = firstError,
        };
        Console.WriteLine($"  [{label}] {result.Headline}");
        return result;

        static Uri launchUrl(Deployment d, LaunchOptions l) => l.ExternalUrl ?? d.HttpBases[0];
    }

    private static async Task<long> SampleRssAsync(int pid, CancellationToken cancellationToken)
    {
        var samples = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }

            samples.Add(ProcStats.RssBytes(pid));
        }

        samples.Sort();
        return samples[1];
    }

    private static Process StartWorker(Target target, Uri protocolUrl, Uri? webSocketBase, int first, int count, int firstSource, string chatKitPath, int concurrency)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(IdleScenario).Assembly.Location);
        }

        foreach (var a in new[]
        {
            "idle-worker", "--target", target.Name(), "--url", protocolUrl.ToString(), "--first", first.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture), "--source", firstSource.ToString(CultureInfo.InvariantCulture),
            "--sources", SourcesPerWorker.ToString(CultureInfo.InvariantCulture), "--chatkit-path", chatKitPath,
            "--connect-concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(a);
        }

        if (webSocketBase is not null)
        {
            start.ArgumentList.Add("--ws-url");
            start.ArgumentList.Add(webSocketBase.ToString());
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start an idle worker.");
    }
}
