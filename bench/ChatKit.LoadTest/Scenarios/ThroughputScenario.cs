using HdrHistogram;
using System.Diagnostics;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Net;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>
/// direct, devices3, group10, group100 and twonode: connections that all send, round-robin, at the
/// offered rate; every delivery to another device is timed from its scheduled send time.
/// </summary>
internal sealed class ThroughputScenario : IRateScenario
{
    private readonly Deployment _deployment;
    private readonly ScenarioOptions _options;
    private readonly ClientPool _pool;
    private readonly LatencyRecorder _recorder;
    private readonly (int Connection, bool IsGroup, string To)[] _senders;
    private readonly Dictionary<int, string> _groupOf;
    private readonly int _deliveriesPerMessage;
    private long _messageNumber;

    private ThroughputScenario(Deployment deployment, ScenarioOptions options, ClientPool pool, LatencyRecorder recorder,
        (int, bool, string)[] senders, Dictionary<int, string> groupOf, int deliveriesPerMessage)
    {
        _deployment = deployment;
        _options = options;
        _pool = pool;
        _recorder = recorder;
        _senders = senders;
        _groupOf = groupOf;
        _deliveriesPerMessage = deliveriesPerMessage;
    }

    public string Unit => "msg/s";

    public int DeliveriesPerMessage => _deliveriesPerMessage;

    public static async Task<ThroughputScenario> CreateAsync(Deployment deployment, ScenarioOptions options, CancellationToken cancellationToken)
    {
        var recorder = new LatencyRecorder();
        var specs = new List<ClientSpec>();
        var senders = new List<(int, bool, string)>();
        var groupOf = new Dictionary<int, string>();
        var nodes = deployment.Protocols.Count;
        int perMessage;
        var groupMembers = new List<(string Name, List<int> Members)>();

        if (options.Groups > 0)
        {
            for (var g = 0; g < options.Groups; g++)
            {
                var members = new List<int>();
                for (var m = 0; m < options.GroupSize; m++)
                {
                    members.Add(specs.Count);
                    specs.Add(new ClientSpec($"g{g}m{m}", "d0", specs.Count % nodes));
                }

                groupMembers.Add(($"bench-{g}", members));
            }

            perMessage = options.GroupSize - 1;
        }
        else
        {
            var users = options.Users - (options.Users % 2);
            for (var u = 0; u < users; u++)
            {
                for (var d = 0; d < options.Devices; d++)
                {
                    // Pairs (2k, 2k+1) sit on different nodes when there are two: every message crosses.
                    specs.Add(new ClientSpec($"u{u}", $"d{d}", u % nodes));
                    senders.Add((specs.Count - 1, false, $"u{u ^ 1}"));
                }
            }

            // Every device of the peer, and the sender's other devices.
            perMessage = options.Devices + options.Devices - 1;
        }

        Console.WriteLine($"  connecting {specs.Count} clients to {deployment.Target.Name()} ({nodes} node(s))");
        var pool = await ClientPool.ConnectAsync(deployment.Protocols, specs, recorder, options.ConnectConcurrency, ClientPool.NewInvoker(), cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (name, members) in groupMembers)
            {
                var connections = members.Select(i => pool.Connections[i]).ToList();
                var id = await connections[0].Protocol.SetupGroupAsync(name, connections, cancellationToken).ConfigureAwait(false);
                foreach (var i in members)
                {
                    senders.Add((i, true, id));
                    groupOf[i] = name;
                }
            }
        }
        catch
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Interleave senders so that consecutive messages come from different groups / pairs.
        var ordered = senders.Select((s, i) => (s, key: (i % Math.Max(1, options.GroupSize)) * 100_000 + i / Math.Max(1, options.GroupSize)))
            .OrderBy(x => options.Groups > 0 ? x.key : 0).Select(x => x.s).ToArray();
        return new ThroughputScenario(deployment, options, pool, recorder, ordered, groupOf, perMessage);
    }

    public async Task<StepResult> RunStepAsync(double rate, double seconds, CancellationToken cancellationToken)
    {
        await RepairAsync(cancellationToken).ConfigureAwait(false);
        await _pool.WaitQuietAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        var errors0 = _pool.Errors;
        var cpu0 = _deployment.CpuSeconds();
        var redis0 = _deployment.RedisCpuSeconds();
        var gen0 = ProcStats.OwnCpuSeconds();
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        var timeline = _options.TimelinePath is null ? null : new LatencyTimeline(start, seconds);
        _recorder.BeginStep(start, timeline);

        using var progress = seconds > 8
            ? new Timer(_ => Console.WriteLine($"    ... {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s: {_recorder.Delivered:N0} delivered, p99 so far {_recorder.Snapshot().GetValueAtPercentile(99) / 1000.0:F2} ms"), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5))
            : null;
        var body = _options.BodyBytes;
        var connections = _pool.Connections;
        var senders = _senders;
        var (sent, lag) = await Task.Factory.StartNew(
            () => OpenLoopSender.Run(rate, seconds, start, (n, scheduled) =>
            {
                var (index, isGroup, to) = senders[n % senders.Length];
                var c = connections[index];
                var number = Interlocked.Increment(ref _messageNumber);
                var text = Payload.Create(scheduled, c.Id, body);
                c.Send(isGroup ? c.Protocol.Group(c, to, text, number) : c.Protocol.Direct(c, to, text, number));
            }, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);

        var expected = sent * _deliveriesPerMessage;
        var drain = Stopwatch.StartNew();
        while (_recorder.Delivered < expected && drain.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        timeline?.WriteCsv(_options.TimelinePath!);
        var cpu = _deployment.CpuSeconds() - cpu0;
        var redis = _deployment.RedisCpuSeconds() - redis0;
        var gen = ProcStats.OwnCpuSeconds() - gen0;
        var delivered = _recorder.Delivered;
        var histogram = _recorder.Snapshot();
        var errors = _pool.Errors - errors0;
        var open = _pool.Open;
        double P(double q) => histogram.TotalCount == 0 ? double.PositiveInfinity : histogram.GetValueAtPercentile(q) / 1000.0;
        var result = new StepResult
        {
            Target = _deployment.Target.Name(),
            Scenario = _options.Scenario,
            Rate = rate,
            Seconds = seconds,
            Sent = sent,
            Expected = expected,
            Delivered = delivered,
            DeliveredPerSecond = delivered / seconds,
            Stale = _recorder.Stale,
            P50Ms = P(50),
            P90Ms = P(90),
            P99Ms = P(99),
            P999Ms = P(99.9),
            MaxMs = histogram.TotalCount == 0 ? double.PositiveInfinity : histogram.GetMaxValue() / 1000.0,
            ServerCpuSeconds = cpu,
            ServerCpuUtilization = cpu / elapsed,
            ServerCpuSecondsPerMillionDeliveries = delivered == 0 ? 0 : cpu / delivered * 1e6,
            ServerCpuMicrosPerDelivery = delivered == 0 ? 0 : cpu / delivered * 1e6,
            RedisCpuSeconds = redis,
            ServerRssBytes = _deployment.RssBytes(),
            GeneratorCpuUtilization = gen / elapsed,
            SenderMaxLagMs = lag,
            Errors = errors,
            OpenConnections = open,
            LastError = errors > 0 || open < connections.Count ? _pool.LastError : null,
        };
        return result with
        {
            Passed = result.P99Ms <= _options.P99BoundMs && delivered >= expected * 0.99 && errors == 0 && open == connections.Count,
        };
    }

    /// <summary>Reopens connections the server closed (a slow-consumer close under overload), so that the next step starts whole.</summary>
    private async Task RepairAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _pool.Connections.Count; i++)
        {
            var old = _pool.Connections[i];
            if (old.IsOpen)
            {
                continue;
            }

            await old.CloseAsync().ConfigureAwait(false);
            var replacement = new WsConnection(old.Id, old.User, old.Device, old.Protocol) { Recorder = _recorder };
            await _pool.OpenAsync([replacement], 1, cancellationToken).ConfigureAwait(false);
            _pool.Connections[i] = replacement;
            if (_groupOf.TryGetValue(i, out var group))
            {
                await replacement.Protocol.RejoinGroupAsync(group, replacement, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
