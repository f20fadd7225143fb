using ChatKit.Hosting;
using ChatKit.Internal;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Sync;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ChatKit.Fanout;

/// <summary>
/// <see cref="IChatBus"/> on Redis pub/sub. Each node instance listens on its own channel (sharded pub/sub on a
/// cluster, so a message travels only to the shard of the target); entries and frames go only to the instances
/// that hold sessions of their users, one message per target instance; presence changes go to every node on one
/// broadcast channel. This node's sessions never go through the bus.
/// </summary>
/// <remarks>
/// Pub/sub may lose messages (a disconnect, a restart). Sessions heal a gap when their next entry arrives; after a
/// lost connection the bus also offers every local user's newest inbox entry, so that an idle session notices
/// what it missed at once.
/// </remarks>
internal sealed class RedisChatBus : IChatBus
{
    private static readonly TimeSpan HealDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SubscribeRetry = TimeSpan.FromSeconds(1);

    private readonly RedisContext _ctx;
    private readonly RedisPresenceStore _presence;
    private readonly IMessageStore _store;
    private readonly ILogger _logger;
    private IChatBusReceiver? _receiver;
    private bool? _sharded;
    private int _healScheduled;

    public RedisChatBus(RedisContext context, RedisPresenceStore presence, IMessageStore store, ILogger<RedisChatBus> logger)
    {
        _ctx = context;
        _presence = presence;
        _store = store;
        _logger = logger;
    }

    /// <summary>Whether this node is subscribed (tests and health).</summary>
    public bool IsSubscribed { get; private set; }

    public ValueTask StartAsync(IChatBusReceiver receiver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (_receiver is not null)
        {
            return default;
        }

        _receiver = receiver;
        _ctx.Connection.Restored += ScheduleHeal;

        // Never wait for Redis here: the host must start while Redis is down.
        _ = SubscribeAsync();
        return default;
    }

    public async ValueTask PublishEntriesAsync(IReadOnlyList<AppendedEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0)
        {
            return;
        }

        IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
        Dictionary<string, string[]>? hints = RouteHints.Current;
        List<string>? unknown = null;
        foreach (AppendedEntry e in entries)
        {
            if (hints is null || !hints.ContainsKey(e.User))
            {
                (unknown ??= []).Add(e.User);
            }
        }

        if (unknown is not null)
        {
            Dictionary<string, string[]> looked = await _presence.LookupAsync(db, unknown.Distinct(StringComparer.Ordinal)).ConfigureAwait(false);
            if (hints is not null)
            {
                foreach (KeyValuePair<string, string[]> h in hints)
                {
                    looked.TryAdd(h.Key, h.Value);
                }
            }

            hints = looked;
        }

        Dictionary<string, List<AppendedEntry>>? byInstance = null;
        foreach (AppendedEntry e in entries)
        {
            foreach (string instance in hints![e.User])
            {
                if (string.Equals(instance, _ctx.Instance, StringComparison.Ordinal))
                {
                    continue;
                }

                byInstance ??= new(StringComparer.Ordinal);
                if (!byInstance.TryGetValue(instance, out List<AppendedEntry>? list))
                {
                    list = [];
                    byInstance.Add(instance, list);
                }

                list.Add(e);
            }
        }

        if (byInstance is null)
        {
            return;
        }

        // Fire and forget: the bus is only a wake-up, and sessions heal what it loses from the inbox. Waiting for
        // Redis's reply (the number of receivers, unused) only held the fan-out worker and cost a thread pool hop
        // per publish; a publish fails only with the connection, whose loss is logged.
        bool sharded = Sharded;
        foreach ((string instance, List<AppendedEntry> list) in byInstance)
        {
            await db.PublishAsync(_ctx.Keys.InstanceChannel(instance, sharded), BusCodec.EncodeEntries(list), CommandFlags.FireAndForget).ConfigureAwait(false);
        }
    }

    public async ValueTask PublishFrameAsync(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        if (users.Count == 0)
        {
            return;
        }

        IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
        Dictionary<string, string[]> where = await _presence.LookupAsync(db, users).ConfigureAwait(false);
        var byInstance = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach ((string user, string[] instances) in where)
        {
            foreach (string instance in instances)
            {
                if (!string.Equals(instance, _ctx.Instance, StringComparison.Ordinal))
                {
                    if (!byInstance.TryGetValue(instance, out List<string>? list))
                    {
                        list = [];
                        byInstance.Add(instance, list);
                    }

                    list.Add(user);
                }
            }
        }

        bool sharded = Sharded;
        var publishes = new List<Task>(byInstance.Count);
        foreach ((string instance, List<string> list) in byInstance)
        {
            publishes.Add(db.PublishAsync(_ctx.Keys.InstanceChannel(instance, sharded), BusCodec.EncodeFrame(list, frame.Span)));
        }

        await Task.WhenAll(publishes).ConfigureAwait(false);
    }

    public async ValueTask PublishPresenceAsync(PresenceChange change, CancellationToken cancellationToken = default)
    {
        IDatabase db = await _ctx.Connection.GetDatabaseAsync().ConfigureAwait(false);
        await db.PublishAsync(_ctx.Keys.PresenceChannel, BusCodec.EncodePresence(_ctx.Instance, change)).ConfigureAwait(false);
    }

    /// <summary>A presence change this node observed for another node (it reaped a dead one): to every node, this one too.</summary>
    public async Task PublishPresenceEverywhereAsync(PresenceChange change)
    {
        _receiver?.OnPresence(change);
        await PublishPresenceAsync(change).ConfigureAwait(false);
    }

    private bool Sharded => _sharded ??= _ctx.Options.UseShardedPubSub ?? _ctx.Connection.IsCluster;

    private async Task SubscribeAsync()
    {
        while (true)
        {
            try
            {
                IConnectionMultiplexer mux = await _ctx.Connection.GetAsync().ConfigureAwait(false);
                if (!mux.IsConnected)
                {
                    await Task.Delay(SubscribeRetry).ConfigureAwait(false);
                    continue;
                }

                ISubscriber sub = mux.GetSubscriber();
                ChannelMessageQueue own = await sub.SubscribeAsync(_ctx.Keys.InstanceChannel(_ctx.Instance, Sharded)).ConfigureAwait(false);
                own.OnMessage(Handle);
                ChannelMessageQueue presence = await sub.SubscribeAsync(_ctx.Keys.PresenceChannel).ConfigureAwait(false);
                presence.OnMessage(Handle);
                IsSubscribed = true;
                return;
            }
            catch (Exception ex)
            {
                Log.BackgroundFailed(_logger, "subscribe", ex);
                await Task.Delay(SubscribeRetry).ConfigureAwait(false);
            }
        }
    }

    private void Handle(ChannelMessage message)
    {
        IChatBusReceiver? receiver = _receiver;
        if (receiver is null)
        {
            return;
        }

        try
        {
            byte[] bytes = (byte[])message.Message!;
            using var r = new BinaryReader(new MemoryStream(bytes));
            switch (r.ReadByte())
            {
                case BusCodec.Entries:
                    receiver.OnEntries(BusCodec.DecodeEntries(r));
                    break;
                case BusCodec.Frame:
                    (string[] users, byte[] frame) = BusCodec.DecodeFrame(r);
                    receiver.OnFrame(users, frame);
                    break;
                case BusCodec.Presence:
                    (string origin, PresenceChange change) = BusCodec.DecodePresence(r);
                    if (!string.Equals(origin, _ctx.Instance, StringComparison.Ordinal))
                    {
                        receiver.OnPresence(change);
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or FormatException or IndexOutOfRangeException or ArgumentException)
        {
            Log.BadBusMessage(_logger, ex);
        }
    }

    private void ScheduleHeal()
    {
        if (Interlocked.Exchange(ref _healScheduled, 1) == 0)
        {
            _ = HealAsync();
        }
    }

    /// <summary>Offers each local user's newest inbox entry to its sessions: a session behind it reads what it missed.</summary>
    private async Task HealAsync()
    {
        await Task.Delay(HealDelay).ConfigureAwait(false);
        Volatile.Write(ref _healScheduled, 0);
        IChatBusReceiver? receiver = _receiver;
        if (receiver is null)
        {
            return;
        }

        try
        {
            foreach (string user in _presence.LocalUsers)
            {
                InboxPage bounds = await _store.ReadInboxAsync(user, 0, 0).ConfigureAwait(false);
                if (bounds.State.Head == 0)
                {
                    continue;
                }

                InboxPage last = await _store.ReadInboxAsync(user, bounds.State.Head - 1, 1).ConfigureAwait(false);
                if (last.Entries.Count == 1)
                {
                    receiver.OnEntries([new AppendedEntry(user, last.Entries[0])]);
                }
            }
        }
        catch (Exception ex)
        {
            Log.BackgroundFailed(_logger, "heal sessions after reconnect", ex);
            ScheduleHeal();
        }
    }
}
