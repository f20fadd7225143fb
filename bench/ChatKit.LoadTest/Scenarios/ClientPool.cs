using System.Diagnostics;
using System.Net.Http;
using ChatKit.LoadTest.Measure;
using ChatKit.LoadTest.Net;
using ChatKit.LoadTest.Protocols;

namespace ChatKit.LoadTest.Scenarios;

/// <summary>Many connections opened together, kept alive with the protocol's heartbeat while silent.</summary>
internal sealed class ClientPool : IAsyncDisposable
{
    private static int _nextId;

    private readonly HttpMessageInvoker _invoker;
    private readonly Timer _keepAlive;

    private ClientPool(HttpMessageInvoker invoker)
    {
        _invoker = invoker;
        _keepAlive = new Timer(_ => KeepAlive(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    public List<WsConnection> Connections { get; } = [];

    public int Failed { get; private set; }

    public string? FirstError { get; private set; }

    public int Open => Connections.Count(c => c.IsOpen);

    public long DeliveredTotal => Connections.Sum(c => c.DeliveredTotal);

    public int Errors => Connections.Sum(c => Volatile.Read(ref c.Errors));

    public string? LastError => Connections.Select(c => c.LastError).FirstOrDefault(e => e is not null);

    /// <summary>A pool around connections made elsewhere (not yet open).</summary>
    public static ClientPool Wrap(IEnumerable<WsConnection> connections, HttpMessageInvoker invoker)
    {
        var pool = new ClientPool(invoker);
        pool.Connections.AddRange(connections);
        return pool;
    }

    public static HttpMessageInvoker NewInvoker(int firstSource = 0, int sourceCount = 0) => ClientFactory.Create(firstSource, sourceCount);

    /// <summary>Opens the connections, <paramref name="concurrency"/> handshakes at a time.</summary>
    public static async Task<ClientPool> ConnectAsync(
        IReadOnlyList<IWireProtocol> protocols,
        IReadOnlyList<ClientSpec> specs,
        LatencyRecorder? recorder,
        int concurrency,
        HttpMessageInvoker invoker,
        bool throwOnFailure = true,
        int receiveBufferSize = 8192,
        CancellationToken cancellationToken = default)
    {
        var pool = new ClientPool(invoker);
        foreach (var group in specs.GroupBy(s => s.Node))
        {
            await protocols[group.Key].PrepareUsersAsync(group.Select(s => s.User), cancellationToken).ConfigureAwait(false);
        }

        foreach (var spec in specs)
        {
            var connection = new WsConnection(Interlocked.Increment(ref _nextId), spec.User, spec.Device, protocols[spec.Node], receiveBufferSize)
            {
                Recorder = recorder,
                ResumeAfter = spec.ResumeAfter,
            };
            pool.Connections.Add(connection);
        }

        await pool.OpenAsync(pool.Connections, concurrency, cancellationToken).ConfigureAwait(false);
        if (throwOnFailure && pool.Failed > 0)
        {
            var error = pool.FirstError;
            await pool.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{pool.Failed} of {specs.Count} connections failed: {error}");
        }

        return pool;
    }

    public async Task OpenAsync(IEnumerable<WsConnection> connections, int concurrency, CancellationToken cancellationToken)
    {
        var failed = 0;
        await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (connection, ct) =>
        {
            try
            {
                var uri = await connection.Protocol.GetUriAsync(connection, ct).ConfigureAwait(false);
                await connection.ConnectAsync(uri, _invoker, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref failed);
                FirstError ??= ex.GetBaseException().Message;
            }
        }).ConfigureAwait(false);
        Failed += failed;
    }

    /// <summary>Sum of deliveries stops changing for <paramref name="quiet"/> (or <paramref name="max"/> passes).</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, TimeSpan max)
    {
        var total = Stopwatch.StartNew();
        var last = DeliveredTotal;
        var still = Stopwatch.StartNew();
        while (total.Elapsed < max)
        {
            await Task.Delay(100).ConfigureAwait(false);
            var now = DeliveredTotal;
            if (now != last)
            {
                last = now;
                still.Restart();
            }
            else if (still.Elapsed >= quiet)
            {
                return;
            }
        }
    }

    private void KeepAlive()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var c in Connections)
        {
            if (c.Protocol.KeepAliveFrame is { } frame && c.IsOpen
                && Stopwatch.GetElapsedTime(c.LastSendTimestamp, now) > c.Protocol.KeepAliveInterval)
            {
                c.Send(frame);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await Parallel.ForEachAsync(Connections, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) => await c.CloseAsync().ConfigureAwait(false)).ConfigureAwait(false);
    }
}
