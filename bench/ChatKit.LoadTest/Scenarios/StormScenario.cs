using System.Diagnostics;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Net;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// Reconnect storm: N devices connect once (to learn their cursor) and leave; M messages are sent to
/// each while they are away; then all reconnect at once with their cursor, and the clock runs until
/// every one has received its M messages. The baselines keep a per-user inbox in memory and replay it
/// on a connect with <c>after</c>, which is what an app adds to SignalR or Socket.IO for this.
/// </summary>
internal static class StormScenario
{
    private const int Fillers = 4;

    public static async Task<StormResult> RunAsync(Deployment deployment, ScenarioOptions options, string label, CancellationToken cancellationToken)
    {
        var protocol = deployment.Protocols[0];
        if (!protocol.SupportsStoredMessages)
        {
            throw new NotSupportedException($"{protocol.Name} keeps nothing for offline devices: the storm cannot be measured on it.");
        }

        var n = options.StormDevices;
        var m = options.Backlog;
        var specs = Enumerable.Range(0, n).Select(i => new ClientSpec($"s{i}", "d0")).ToList();
        var invoker = ClientPool.NewInvoker(1, 50);
        Console.WriteLine($"  [{label}] {n:N0} devices connect once for their cursor");
        var first = await ClientPool.ConnectAsync(deployment.Protocols, specs, null, options.ConnectConcurrency, invoker, cancellationToken: cancellationToken).ConfigureAwait(false);
        var cursors = first.Connections.Select(c => protocol.CursorAfterConnect(c)).ToArray();
        await first.DisposeAsync().ConfigureAwait(false);

        var fillers = await ClientPool.ConnectAsync(deployment.Protocols, Enumerable.Range(0, Fillers).Select(i => new ClientSpec($"f{i}", "d0")).ToList(), null, Fillers, ClientPool.NewInvoker(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var total = (long)n * m;
        Console.WriteLine($"  [{label}] sending {total:N0} messages to the offline devices");
        var fill = Stopwatch.StartNew();
        long acked = 0;
        using (var progress = new Timer(_ => Console.WriteLine($"  [{label}] fill {Interlocked.Read(ref acked):N0}/{total:N0}"), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)))
        {
            await Parallel.ForEachAsync(LongRange(total), new ParallelOptions { MaxDegreeOfParallelism = 512, CancellationToken = cancellationToken }, async (k, _) =>
            {
                var filler = fillers.Connections[(int)(k % Fillers)];
                var to = $"s{k % n}";
                var (id, frame) = protocol.StoredDirect(filler, to, Payload.Create(Stopwatch.GetTimestamp(), filler.Id, options.BodyBytes), k + 1);
                await filler.RequestAsync(id, frame, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                Interlocked.Increment(ref acked);
            }).ConfigureAwait(false);
        }

        var fillSeconds = fill.Elapsed.TotalSeconds;
        await fillers.DisposeAsync().ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);

        var pids = deployment.ServerPids;
        var rssBefore = deployment.RssBytes();
        var cpu0 = deployment.CpuSeconds();
        long peak = rssBefore;
        var connections = specs.Select((s, i) => new WsConnection(10_000_000 + i, s.User, s.Device, protocol, 16 * 1024) { ResumeAfter = cursors[i] }).ToList();
        foreach (var c in connections)
        {
            c.ExpectCaughtUp(m);
        }

        Console.WriteLine($"  [{label}] storm: {n:N0} devices reconnect at once ({options.ConnectConcurrency} handshakes in flight)");
        var t0 = Stopwatch.GetTimestamp();
        using var sampler = new Timer(_ => InterlockedMax(ref peak, deployment.RssBytes()), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        var pool = await ConnectAllAsync(connections, invoker, options.ConnectConcurrency, cancellationToken).ConfigureAwait(false);
        var timeout = TimeSpan.FromSeconds(Math.Max(60, total / 5000.0));
        try
        {
            await Task.WhenAll(connections.Where(c => c.IsOpen).Select(c => c.CaughtUp.Task)).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Console.WriteLine($"  [{label}] not everyone caught up within {timeout.TotalSeconds:F0} s");
        }

        var histogram = LatencyRecorder.NewHistogram();
        long last = t0;
        var caughtUp = 0;
        foreach (var c in connections)
        {
            if (c.CaughtUp.Task.IsCompletedSuccessfully)
            {
                caughtUp++;
                var at = c.CaughtUp.Task.Result;
                last = Math.Max(last, at);
                histogram.RecordValue(Math.Max(1, LatencyRecorder.ToMicros(at - t0)));
            }
        }

        var cpu = deployment.CpuSeconds() - cpu0;
        InterlockedMax(ref peak, deployment.RssBytes());
        var seconds = (last - t0) / (double)Stopwatch.Frequency;
        var result = new StormResult
        {
            Devices = n,
            Backlog = m,
            FillSeconds = fillSeconds,
            FillRate = total / fillSeconds,
            CaughtUpSeconds = caughtUp == n ? seconds : double.PositiveInfinity,
            DevicesCaughtUp = caughtUp,
            DeviceP50Ms = histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(50) / 1000.0,
            DeviceP99Ms = histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(99) / 1000.0,
            DeliveriesPerSecond = connections.Sum(c => c.DeliveredTotal) / Math.Max(seconds, 1e-6),
            ServerCpuSeconds = cpu,
            RssBeforeBytes = rssBefore,
            RssPeakBytes = Interlocked.Read(ref peak),
            Failed = pool.Failed,
            FirstError = pool.FirstError,
        };
        Console.WriteLine($"  [{label}] {result.Headline}");
        await pool.DisposeAsync().ConfigureAwait(false);
        return result;
    }

    private static async Task<ClientPool> ConnectAllAsync(List<WsConnection> connections, System.Net.Http.HttpMessageInvoker invoker, int concurrency, CancellationToken cancellationToken)
    {
        var pool = ClientPool.Wrap(connections, invoker);
        await pool.OpenAsync(connections, concurrency, cancellationToken).ConfigureAwait(false);
        return pool;
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
