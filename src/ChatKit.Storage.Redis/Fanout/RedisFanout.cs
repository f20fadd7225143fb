using System.Collections.Concurrent;
using System.Text;
using ChatKit.Hosting;
using ChatKit.Internal;
using ChatKit.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatKit.Fanout;

/// <summary>
/// The fan-out workers (DESIGN.md section 3): apply a channel's durable jobs to its members' inboxes, exactly once
/// per inbox, hand what was appended to live delivery, and acknowledge.
/// </summary>
/// <remarks>
/// <para>The node that commits a job usually becomes the channel's worker in the same script and runs it at once
/// (no extra round trip). One worker owns a channel's queue at a time (a lock with a timeout, renewed while it
/// works); a commit that finds the queue owned leaves its job to the owner, who checks for more before it lets go.</para>
/// <para>A job left by a dead node is found through the per-slot pending sets its node registered in
/// <c>{i:INSTANCE}:f</c>, and taken over once the dead owner's lock expires. Redoing a half-applied job is safe:
/// each inbox remembers the last job of each channel it applied, and jobs are always applied in order.</para>
/// </remarks>
internal sealed class RedisFanout
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly RedisContext _ctx;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, Run> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _retry = new(StringComparer.Ordinal);
    private readonly ulong[] _registeredSlots = new ulong[HashSlots.Count / 64];
    private readonly ConcurrentDictionary<(string Channel, long Jseq), TaskCompletionSource<List<AppendedEntry>>> _jobWaiters = new();

    // How many RunForJobsAsync calls wait: ConcurrentDictionary.IsEmpty takes every lock of the dictionary, and the
    // fan-out asks for every batch while there is almost never a waiter.
    private int _waitingCalls;
    private IInboxAppendListener? _listener;

    public RedisFanout(RedisContext context, IServiceProvider services, ILogger<RedisFanout> logger)
    {
        _ctx = context;
        _services = services;
        _logger = logger;
    }

    /// <summary>Channels waiting for a retry (tests and diagnostics).</summary>
    public int RetryCount => _retry.Count;

    private IInboxAppendListener Listener => _listener ??= _services.GetRequiredService<IInboxAppendListener>();

    /// <summary>
    /// Records in this instance's slot set that it may leave jobs on <paramref name="slot"/>, before the first such
    /// job, so that whoever takes over after this node dies finds them. Once per slot per process.
    /// </summary>
    public async Task EnsureSlotRegisteredAsync(IDatabase db, int slot)
    {
        ulong bit = 1UL << (slot & 63);
        if ((Volatile.Read(ref _registeredSlots[slot >> 6]) & bit) != 0)
        {
            return;
        }

        await _ctx.EnsureAnnouncedAsync(db).ConfigureAwait(false);
        await db.SetAddAsync(_ctx.Keys.InstanceSlots(_ctx.Instance), slot).ConfigureAwait(false);
        lock (_registeredSlots)
        {
            _registeredSlots[slot >> 6] |= bit;
        }
    }

    /// <summary>Forgets the registered slots: this instance's set was removed by a node that took it for dead.</summary>
    public void ForgetSlots()
    {
        lock (_registeredSlots)
        {
            Array.Clear(_registeredSlots);
        }
    }

    /// <summary>
    /// Runs a channel's queue until it is empty or owned by another worker. <paramref name="owned"/> is the first
    /// batch when a script already made this node the owner. One run per channel per node; a second call while one
    /// runs makes it look again before it ends.
    /// </summary>
    public Task<FanoutOutcome> RunAsync(string channel, RedisValue[]? owned)
    {
        Run run;
        lock (_gate)
        {
            if (_running.TryGetValue(channel, out Run? existing))
            {
                existing.Again = true;
                return existing.Done.Task;
            }

            run = new Run();
            _running.Add(channel, run);
        }

        _ = LoopAsync(channel, run, owned);
        return run.Done.Task;
    }

    /// <summary>
    /// Runs the channel's queue until jobs <paramref name="firstJseq"/>–<paramref name="lastJseq"/> are applied to
    /// every recipient (at most <see cref="RedisChatKitOptions.SynchronousFanoutWait"/>), and returns the entries
    /// this node appended for them, so that the caller delivers them instead of the listener. Entries of these jobs
    /// applied by another worker were delivered by it; they are not returned.
    /// </summary>
    public async Task<IReadOnlyList<AppendedEntry>> RunForJobsAsync(string channel, long firstJseq, long lastJseq, RedisValue[]? owned)
    {
        Interlocked.Increment(ref _waitingCalls);
        try
        {
            return await RunAndCollectAsync(channel, firstJseq, lastJseq, owned).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingCalls);
        }
    }

    private async Task<IReadOnlyList<AppendedEntry>> RunAndCollectAsync(string channel, long firstJseq, long lastJseq, RedisValue[]? owned)
    {
        var waiters = new List<((string, long) Key, TaskCompletionSource<List<AppendedEntry>> Done)>();
        for (long j = firstJseq; j <= lastJseq; j++)
        {
            var done = new TaskCompletionSource<List<AppendedEntry>>(TaskCreationOptions.RunContinuationsAsynchronously);
            _jobWaiters[(channel, j)] = done;
            waiters.Add(((channel, j), done));
        }

        long started = _ctx.Clock.GetTimestamp();
        TimeSpan limit = _ctx.Options.SynchronousFanoutWait;
        try
        {
            await RunAsync(channel, owned).WaitAsync(limit, _ctx.Clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var entries = new List<AppendedEntry>();
        bool allMine = true;
        foreach (((string, long) key, TaskCompletionSource<List<AppendedEntry>> done) in waiters)
        {
            if (_jobWaiters.TryRemove(key, out _))
            {
                allMine = false;
            }
            else
            {
                entries.AddRange(await done.Task.ConfigureAwait(false));
            }
        }

        if (!allMine)
        {
            await WaitForJobAsync(channel, lastJseq, limit - _ctx.Clock.GetElapsedTime(started)).ConfigureAwait(false);
        }

        return entries;
    }

    /// <summary>Polls until the channel's queue no longer holds job <paramref name="jseq"/>, at most <paramref name="limit"/>.</summary>
    private async Task<bool> WaitForJobAsync(string channel, long jseq, TimeSpan limit)
    {
        long started = _ctx.Clock.GetTimestamp();
        RedisKey queue = _ctx.Keys.ChannelJobs(channel);
        do
        {
            try
            {
                IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
                RedisValue head = await db.ListGetByIndexAsync(queue, 0).ConfigureAwait(false);
                if (head.IsNull || ParseJseq(head) > jseq)
                {
                    return true;
                }
            }
            catch (Exception ex) when (RedisContext.IsTransient(ex))
            {
            }

            await Task.Delay(PollInterval, _ctx.Clock).ConfigureAwait(false);
        }
        while (_ctx.Clock.GetElapsedTime(started) < limit);
        return false;
    }

    /// <summary>Runs every channel waiting for a retry.</summary>
    public async Task RetryAsync()
    {
        foreach (string channel in _retry.Keys)
        {
            await RunAsync(channel, null).ConfigureAwait(false);
        }
    }

    /// <summary>Takes over the jobs a dead instance may have left, then forgets that instance's slot set.</summary>
    public async Task<int> TakeOverAsync(IDatabase db, string deadInstance)
    {
        RedisKey deadSlots = _ctx.Keys.InstanceSlots(deadInstance);
        RedisValue[] slots = await db.SetMembersAsync(deadSlots).ConfigureAwait(false);
        foreach (RedisValue s in slots)
        {
            int slot = (int)s;
            await EnsureSlotRegisteredAsync(db, slot).ConfigureAwait(false);
            foreach (RedisValue channel in await db.SortedSetRangeByRankAsync(_ctx.Keys.SlotPending(slot)).ConfigureAwait(false))
            {
                _retry.TryAdd(channel!, 0);
            }
        }

        await db.KeyDeleteAsync(deadSlots).ConfigureAwait(false);
        return slots.Length;
    }

    /// <summary>Queues for a retry the channels of this node's slots whose jobs have waited longer than <paramref name="age"/>.</summary>
    public async Task SweepOwnSlotsAsync(IDatabase db, TimeSpan age)
    {
        var tasks = new List<Task<RedisValue[]>>();
        double horizon = _ctx.NowMs - age.TotalMilliseconds;
        for (int w = 0; w < _registeredSlots.Length; w++)
        {
            ulong bits = Volatile.Read(ref _registeredSlots[w]);
            for (int b = 0; bits != 0; b++, bits >>= 1)
            {
                if ((bits & 1) != 0)
                {
                    tasks.Add(db.SortedSetRangeByScoreAsync(_ctx.Keys.SlotPending((w * 64) + b), double.NegativeInfinity, horizon));
                }
            }
        }

        foreach (RedisValue[] channels in await Task.WhenAll(tasks).ConfigureAwait(false))
        {
            foreach (RedisValue c in channels)
            {
                _retry.TryAdd(c!, 0);
            }
        }
    }

    private async Task LoopAsync(string channel, Run run, RedisValue[]? jobs)
    {
        FanoutOutcome outcome = FanoutOutcome.Completed;
        try
        {
            IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
            RedisKey[] keys = [_ctx.Keys.ChannelJobs(channel), _ctx.Keys.ChannelLock(channel), _ctx.Keys.SlotPending(HashSlots.SlotOf(RedisKeys.ChannelTagContent(channel)))];
            long ttl = (long)_ctx.Options.FanoutLockTimeout.TotalMilliseconds;
            int batch = _ctx.Options.FanoutBatchSize;
            while (true)
            {
                if (jobs is null)
                {
                    var taken = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.Take, keys, [_ctx.Instance, ttl, batch, channel]).ConfigureAwait(false))!;
                    switch ((int)taken[0])
                    {
                        case 0:
                            outcome = FanoutOutcome.Completed;
                            break;
                        case 2:
                            outcome = FanoutOutcome.HeldByOther;
                            break;
                        default:
                            jobs = Tail(taken, 1);
                            break;
                    }
                }

                while (jobs is { Length: > 0 })
                {
                    (long maxJseq, Task delivered) = await ApplyAsync(db, channel, jobs).ConfigureAwait(false);

                    // The entries are durable once appended: acknowledge without waiting for the live delivery (its
                    // publish is already on the wire), one wait for both instead of one after the other.
                    Task<RedisResult> ack = db.ScriptEvaluateAsync(Scripts.Ack, keys, [maxJseq, _ctx.Instance, ttl, batch, channel, jobs.Length]);
                    await Task.WhenAll(delivered, ack).ConfigureAwait(false);
                    var acked = (RedisResult[])ack.Result!;
                    switch ((int)acked[0])
                    {
                        case 1:
                            jobs = Tail(acked, 1);
                            break;
                        case 0:
                            jobs = null;
                            outcome = FanoutOutcome.Completed;
                            break;
                        default:
                            jobs = null;
                            outcome = FanoutOutcome.HeldByOther;
                            break;
                    }
                }

                jobs = null;
                lock (_gate)
                {
                    if (run.Again)
                    {
                        run.Again = false;
                        continue;
                    }

                    _running.Remove(channel);
                }

                break;
            }

            if (outcome == FanoutOutcome.Completed)
            {
                _retry.TryRemove(channel, out _);
            }
        }
        catch (Exception ex)
        {
            Log.FanoutFailed(_logger, channel, ex);
            _retry.TryAdd(channel, 0);
            outcome = FanoutOutcome.Failed;
            lock (_gate)
            {
                _running.Remove(channel);
            }
        }

        run.Done.TrySetResult(outcome);
    }

    /// <summary>
    /// Applies a batch of jobs to every recipient's inbox and starts delivering what was appended. Returns the last
    /// jseq and the delivery, which logs its own failures.
    /// </summary>
    private async Task<(long MaxJseq, Task Delivered)> ApplyAsync(IDatabase db, string channel, RedisValue[] rawJobs)
    {
        var jobs = new Job[rawJobs.Length];
        var perUser = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < rawJobs.Length; i++)
        {
            jobs[i] = Job.Parse(rawJobs[i]);
            foreach (string user in jobs[i].Recipients)
            {
                if (!perUser.TryGetValue(user, out List<int>? list))
                {
                    list = [];
                    perUser.Add(user, list);
                }

                list.Add(i);
            }
        }

        long keep = _ctx.ChatOptions.InboxRetentionCount;
        TimeSpan? maxAge = _ctx.ChatOptions.InboxRetentionAge;
        var users = new string[perUser.Count];
        var calls = new Task<RedisResult>[perUser.Count];
        int n = 0;
        foreach ((string user, List<int> indexes) in perUser)
        {
            var args = new RedisValue[2 + (indexes.Count * 4)];
            args[0] = keep;
            args[1] = -1;
            int a = 2;
            foreach (int i in indexes)
            {
                if (maxAge is TimeSpan age)
                {
                    // Age is measured from the newest entry's time, as the in-memory store measures it from the write's.
                    args[1] = Math.Max((long)args[1], jobs[i].CreatedAtMs - (long)age.TotalMilliseconds);
                }

                args[a++] = channel;
                args[a++] = jobs[i].Jseq;
                args[a++] = EntryCodec.EffectFor(jobs[i].Entry, user);
                args[a++] = jobs[i].Entry;
            }

            users[n] = user;
            calls[n++] = db.ScriptEvaluateAsync(Scripts.Append,
                [_ctx.Keys.User(user), _ctx.Keys.Inbox(user), _ctx.Keys.Applied(user), _ctx.Keys.UserChannels(user), _ctx.Keys.Sessions(user)], args);
        }

        await Replies.InOrderAsync(calls).ConfigureAwait(false);

        var appended = new List<AppendedEntry>(perUser.Count);
        List<AppendedEntry>?[]? forWaiters = null;
        TaskCompletionSource<List<AppendedEntry>>?[]? waiters = null;
        if (Volatile.Read(ref _waitingCalls) > 0)
        {
            for (int i = 0; i < jobs.Length; i++)
            {
                if (_jobWaiters.TryRemove((channel, jobs[i].Jseq), out TaskCompletionSource<List<AppendedEntry>>? w))
                {
                    waiters ??= new TaskCompletionSource<List<AppendedEntry>>?[jobs.Length];
                    forWaiters ??= new List<AppendedEntry>?[jobs.Length];
                    waiters[i] = w;
                    forWaiters[i] = [];
                }
            }
        }

        var hints = new Dictionary<string, string[]>(perUser.Count, StringComparer.Ordinal);
        for (int u = 0; u < users.Length; u++)
        {
            var result = (RedisResult[])calls[u].Result!;
            var seqs = (RedisResult[])result[0]!;
            List<int> indexes = perUser[users[u]];
            for (int k = 0; k < seqs.Length; k++)
            {
                long seq = (long)seqs[k];
                if (seq > 0)
                {
                    var entry = new AppendedEntry(users[u], new InboxEntry(seq, jobs[indexes[k]].Item));
                    (forWaiters?[indexes[k]] ?? appended).Add(entry);
                }
            }

            hints[users[u]] = DistinctInstances((RedisResult[])result[1]!);
        }

        if (waiters is not null)
        {
            for (int i = 0; i < waiters.Length; i++)
            {
                waiters[i]?.TrySetResult(forWaiters![i]!);
            }
        }

        return (jobs[^1].Jseq, appended.Count == 0 ? Task.CompletedTask : DeliverAsync(appended, hints));
    }

    private async Task DeliverAsync(List<AppendedEntry> appended, Dictionary<string, string[]> hints)
    {
        RouteHints.Current = hints;
        try
        {
            await Listener.OnAppendedAsync(appended, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ListenerFailed(_logger, ex);
        }
    }

    /// <summary>The node instances of a user's sessions (one per session, so usually repeated), each once.</summary>
    private static string[] DistinctInstances(RedisResult[] instances)
    {
        switch (instances.Length)
        {
            case 0:
                return [];
            case 1:
                return [(string)instances[0]!];
            default:
                var distinct = new List<string>(instances.Length);
                foreach (RedisResult r in instances)
                {
                    string instance = (string)r!;
                    if (!distinct.Contains(instance, StringComparer.Ordinal))
                    {
                        distinct.Add(instance);
                    }
                }

                return [.. distinct];
        }
    }

    private static RedisValue[] Tail(RedisResult[] result, int from)
    {
        var values = new RedisValue[result.Length - from];
        for (int i = from; i < result.Length; i++)
        {
            values[i - from] = (RedisValue)result[i];
        }

        return values;
    }

    private static long ParseJseq(RedisValue job)
    {
        ReadOnlySpan<byte> bytes = ((byte[])job!).AsSpan();
        return long.Parse(bytes[..bytes.IndexOf((byte)'|')], provider: System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class Run
    {
        public TaskCompletionSource<FanoutOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Again { get; set; }
    }

    private sealed class Job
    {
        private InboxItem? _item;

        private Job(long jseq, string[] recipients, byte[] entry)
        {
            Jseq = jseq;
            Recipients = recipients;
            Entry = entry;
        }

        public long Jseq { get; }

        public string[] Recipients { get; }

        public byte[] Entry { get; }

        public InboxItem Item => _item ??= EntryCodec.ParseEntry(Entry);

        public long CreatedAtMs => long.Parse(Entry.AsSpan(0, Array.IndexOf(Entry, (byte)'|')), provider: System.Globalization.CultureInfo.InvariantCulture);

        public static Job Parse(RedisValue raw)
        {
            byte[] bytes = (byte[])raw!;
            int a = Array.IndexOf(bytes, (byte)'|');
            int b = Array.IndexOf(bytes, (byte)'|', a + 1);
            long jseq = long.Parse(bytes.AsSpan(0, a), provider: System.Globalization.CultureInfo.InvariantCulture);
            string[] recipients = Encoding.UTF8.GetString(bytes, a + 1, b - a - 1).Split(',', StringSplitOptions.RemoveEmptyEntries);
            return new Job(jseq, recipients, bytes[(b + 1)..]);
        }
    }
}
