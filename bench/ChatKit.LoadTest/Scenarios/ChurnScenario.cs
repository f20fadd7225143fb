using HdrHistogram;
using System.Diagnostics;
using System.Globalization;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Net;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// Presence churn: watchers subscribe to the presence of many users; those users connect at the
/// offered rate (connects per second), stay <c>--hold</c> seconds, and close cleanly, wave after wave.
/// Latency is from the scheduled connect time to each watcher seeing the user go online.
/// </summary>
internal sealed class ChurnScenario : IRateScenario
{
    private readonly Deployment _deployment;
    private readonly ScenarioOptions _options;
    private readonly ClientPool _watchers;
    private readonly LatencyRecorder _recorder = new();
    private readonly long[] _scheduled;
    private readonly int[] _busy;
    private readonly System.Net.Http.HttpMessageInvoker _invoker = ClientPool.NewInvoker();
    private int _active;
    private int _failures;
    private string? _lastFailure;
    private long _offline;

    private ChurnScenario(Deployment deployment, ScenarioOptions options, ClientPool watchers)
    {
        _deployment = deployment;
        _options = options;
        _watchers = watchers;
        _scheduled = new long[options.Churners];
        _busy = new int[options.Churners];
    }

    public string Unit => "connects/s";

    public static async Task<ChurnScenario> CreateAsync(Deployment deployment, ScenarioOptions options, CancellationToken cancellationToken)
    {
        var protocol = deployment.Protocols[0];
        if (!protocol.SupportsPresence)
        {
            throw new NotSupportedException($"{protocol.Name} has no presence: churn cannot be measured on it.");
        }

        var specs = Enumerable.Range(0, options.Watchers).Select(i => new ClientSpec($"w{i}", "d0")).ToList();
        Console.WriteLine($"  connecting {specs.Count} watchers; {options.Churners} churning users");
        var watchers = await ClientPool.ConnectAsync(deployment.Protocols, specs, null, options.ConnectConcurrency, ClientPool.NewInvoker(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var scenario = new ChurnScenario(deployment, options, watchers);
        var churners = Enumerable.Range(0, options.Churners).Select(i => $"c{i}").ToList();
        await protocol.PrepareUsersAsync(churners, cancellationToken).ConfigureAwait(false);
        foreach (var w in watchers.Connections)
        {
            w.PresenceChanged = scenario.OnPresence;
            await protocol.SubscribePresenceAsync(w, churners, cancellationToken).ConfigureAwait(false);
        }

        return scenario;
    }

    private void OnPresence(string user, bool online)
    {
        if (!online)
        {
            Interlocked.Increment(ref _offline);
            return;
        }

        if (user.Length > 1 && user[0] == 'c' && int.TryParse(user.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < _scheduled.Length)
        {
            var scheduled = Volatile.Read(ref _scheduled[index]);
            if (scheduled > 0)
            {
                _recorder.Record(scheduled, Stopwatch.GetTimestamp());
            }
        }
    }

    public async Task<StepResult> RunStepAsync(double rate, double seconds, CancellationToken cancellationToken)
    {
        var settle = Stopwatch.StartNew();
        while (Volatile.Read(ref _active) > 0 && settle.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        var failures0 = Volatile.Read(ref _failures);
        var cpu0 = _deployment.CpuSeconds();
        var gen0 = ProcStats.OwnCpuSeconds();
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        _recorder.BeginStep(start);
        long skipped = 0;
        var protocol = _deployment.Protocols[0];
        var (sent, lag) = await Task.Factory.StartNew(
            () => OpenLoopSender.Run(rate, seconds, start, (n, scheduled) =>
            {
                var index = (int)(n % _scheduled.Length);
                if (Interlocked.CompareExchange(ref _busy[index], 1, 0) != 0)
                {
                    // Still connected from its previous wave: more churners are needed for this rate.
                    Interlocked.Increment(ref skipped);
                    return;
                }

                Volatile.Write(ref _scheduled[index], scheduled);
                Interlocked.Increment(ref _active);
                _ = CycleAsync(protocol, index);
            }, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);

        var cycles = sent - skipped;
        var expected = cycles * _watchers.Connections.Count;
        var drain = Stopwatch.StartNew();
        while ((_recorder.Delivered < expected || Volatile.Read(ref _active) > 0) && drain.Elapsed < TimeSpan.FromSeconds(_options.HoldSeconds + 5))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = _deployment.CpuSeconds() - cpu0;
        var delivered = _recorder.Delivered;
        var histogram = _recorder.Snapshot();
        var failures = Volatile.Read(ref _failures) - failures0;
        double P(double q) => histogram.TotalCount == 0 ? double.PositiveInfinity : histogram.GetValueAtPercentile(q) / 1000.0;
        var result = new StepResult
        {
            Target = _deployment.Target.Name(),
            Scenario = _options.Scenario,
            Rate = rate,
            Seconds = seconds,
            Sent = cycles,
            Expected = expected,
            Delivered = delivered,
            DeliveredPerSecond = delivered / seconds,
            P50Ms = P(50),
            P90Ms = P(90),
            P99Ms = P(99),
            P999Ms = P(99.9),
            MaxMs = histogram.TotalCount == 0 ? double.PositiveInfinity : histogram.GetMaxValue() / 1000.0,
            ServerCpuSeconds = cpu,
            ServerCpuUtilization = cpu / elapsed,
            ServerCpuSecondsPerMillionDeliveries = delivered == 0 ? 0 : cpu / delivered * 1e6,
            ServerCpuMicrosPerDelivery = delivered == 0 ? 0 : cpu / delivered * 1e6,
            ServerRssBytes = _deployment.RssBytes(),
            GeneratorCpuUtilization = (ProcStats.OwnCpuSeconds() - gen0) / elapsed,
            SenderMaxLagMs = lag,
            Errors = failures + (int)skipped,
            OpenConnections = _watchers.Open,
            LastError = skipped > 0 ? $"{skipped} connects skipped: churner still connected (raise --churners)" : _lastFailure,
        };
        return result with
        {
            Passed = result.P99Ms <= _options.P99BoundMs && delivered >= expected * 0.99 && failures == 0 && skipped == 0 && _watchers.Open == _watchers.Connections.Count,
        };
    }

    private async Task CycleAsync(Protocols.IWireProtocol protocol, int index)
    {
        var connection = new WsConnection(1_000_000 + index, $"c{index}", "d0", protocol, 2048);
        try
        {
            await Task.Yield();
            var uri = await protocol.GetUriAsync(connection, CancellationToken.None).ConfigureAwait(false);
            await connection.ConnectAsync(uri, _invoker, CancellationToken.None).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(_options.HoldSeconds)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failures);
            _lastFailure = ex.GetBaseException().Message;
        }
        finally
        {
            await connection.CloseAsync().ConfigureAwait(false);
            Volatile.Write(ref _busy[index], 0);
            Interlocked.Decrement(ref _active);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _watchers.DisposeAsync().ConfigureAwait(false);
        _invoker.Dispose();
    }
}
