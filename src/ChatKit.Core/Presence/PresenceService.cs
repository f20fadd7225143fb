using System.Collections.Concurrent;
using ChatKit.Fanout;
using ChatKit.Internal;
using ChatKit.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatKit.Presence;

/// <summary>
/// Presence on top of <see cref="IPresenceStore"/>: sessions open and close it, frames keep <c>lastActiveAt</c>
/// fresh, a dropped connection keeps its user online for the grace period, and first-open / last-close changes go
/// to the sessions that subscribed to that user, on every node.
/// </summary>
internal sealed class PresenceService
{
    private readonly IPresenceStore _store;
    private readonly IChatBus _bus;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, HashSet<ChatSession>> _subscribers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ChatSession, CancellationTokenSource> _graces = new();
    private readonly long _touchIntervalTicks;

    public PresenceService(IPresenceStore store, IChatBus bus, TimeProvider clock, IOptions<ChatKitOptions> options, ILogger<PresenceService> logger)
    {
        _store = store;
        _bus = bus;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        _touchIntervalTicks = (long)(_options.PresenceTouchInterval.TotalSeconds * clock.TimestampFrequency);
    }

    public async Task SessionOpenedAsync(ChatSession session, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _clock.GetUtcNow();
        if (await _store.AddSessionAsync(session.User, session.Id, _options.NodeId, now, cancellationToken).ConfigureAwait(false))
        {
            await PublishAsync(new PresenceChange(session.User, true, now)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends a session's presence: at once for a clean close (the returned task completes when it is recorded), after
    /// the grace period for a dropped connection (in the background; the returned task completes at once).
    /// </summary>
    public Task SessionClosedAsync(ChatSession session, SessionCloseKind kind)
    {
        UnsubscribeAll(session);
        if (kind == SessionCloseKind.Dropped && _options.PresenceGracePeriod > TimeSpan.Zero)
        {
            // The device may come back within the grace period; its new session keeps the user online, so
            // removing the old session later never shows a subscriber an offline blip.
            _ = RemoveAfterGraceAsync(session);
            return Task.CompletedTask;
        }

        return RemoveAsync(session);
    }

    /// <summary>
    /// Ends at once the grace periods of a device's dropped sessions (logout: the device is not coming back).
    /// </summary>
    public void EndGrace(string user, string device)
    {
        foreach (KeyValuePair<ChatSession, CancellationTokenSource> pending in _graces)
        {
            if (string.Equals(pending.Key.User, user, StringComparison.Ordinal) && string.Equals(pending.Key.Device, device, StringComparison.Ordinal))
            {
                try
                {
                    pending.Value.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The grace ended by itself meanwhile.
                }
            }
        }
    }

    private async Task RemoveAfterGraceAsync(ChatSession session)
    {
        using var cut = new CancellationTokenSource();
        _graces[session] = cut;
        try
        {
            await Task.Delay(_options.PresenceGracePeriod, _clock, cut.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _graces.TryRemove(session, out _);
        }

        await RemoveAsync(session).ConfigureAwait(false);
    }

    private async Task RemoveAsync(ChatSession session)
    {
        try
        {
            DateTimeOffset now = _clock.GetUtcNow();
            if (await _store.RemoveSessionAsync(session.User, session.Id, now).ConfigureAwait(false))
            {
                await PublishAsync(new PresenceChange(session.User, false, now)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Log.PresenceWriteFailed(_logger, ex);
        }
    }

    /// <summary>Records a data frame from <paramref name="session"/>: a heartbeat and activity.</summary>
    public void Touch(ChatSession session)
    {
        long now = _clock.GetTimestamp();
        session.Touch(now);
        if (session.ShouldPublishTouch(now, _touchIntervalTicks))
        {
            _ = TouchStoreAsync(session.User);
        }
    }

    public async Task<IReadOnlyList<PresenceInfo>> SubscribeAsync(ChatSession session, IReadOnlyList<string> users, CancellationToken cancellationToken)
    {
        lock (session.PresenceSubscriptions)
        {
            int added = users.Count(u => !session.PresenceSubscriptions.Contains(u));
            if (session.PresenceSubscriptions.Count + added > ProtocolLimits.MaxPresenceSubscriptions)
            {
                throw new ChatException(ChatErrorCode.BadRequest,
                    $"A session may subscribe to at most {ProtocolLimits.MaxPresenceSubscriptions} users; it has {session.PresenceSubscriptions.Count}.");
            }

            foreach (string user in users)
            {
                if (session.PresenceSubscriptions.Add(user))
                {
                    AddSubscriber(user, session);
                }
            }
        }

        return await _store.GetAsync(users, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<PresenceInfo>> GetAsync(IReadOnlyList<string> users, CancellationToken cancellationToken) =>
        _store.GetAsync(users, cancellationToken).AsTask();

    public void Unsubscribe(ChatSession session, IReadOnlyList<string> users)
    {
        lock (session.PresenceSubscriptions)
        {
            foreach (string user in users)
            {
                if (session.PresenceSubscriptions.Remove(user))
                {
                    RemoveSubscriber(user, session);
                }
            }
        }
    }

    /// <summary>Sends a change to this node's subscribers of the user.</summary>
    public void OnChange(PresenceChange change)
    {
        if (!_subscribers.TryGetValue(change.User, out HashSet<ChatSession>? set))
        {
            return;
        }

        ChatSession[] targets;
        lock (set)
        {
            targets = [.. set];
        }

        byte[] frame = ServerFrameWriter.Presence(change.User, change.Online, change.LastActiveAt.ToUnixTimeMilliseconds());
        foreach (ChatSession s in targets)
        {
            s.Send(frame);
        }
    }

    private async Task PublishAsync(PresenceChange change)
    {
        OnChange(change);
        try
        {
            await _bus.PublishPresenceAsync(change).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.BusPublishFailed(_logger, ex);
        }
    }

    private async Task TouchStoreAsync(string user)
    {
        try
        {
            await _store.TouchAsync(user, _clock.GetUtcNow()).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.PresenceWriteFailed(_logger, ex);
        }
    }

    private void UnsubscribeAll(ChatSession session)
    {
        lock (session.PresenceSubscriptions)
        {
            foreach (string user in session.PresenceSubscriptions)
            {
                RemoveSubscriber(user, session);
            }

            session.PresenceSubscriptions.Clear();
        }
    }

    private void AddSubscriber(string user, ChatSession session)
    {
        while (true)
        {
            HashSet<ChatSession> set = _subscribers.GetOrAdd(user, static _ => []);
            lock (set)
            {
                // The set may have been emptied and unlinked since it was looked up: then take the new one.
                if (_subscribers.TryGetValue(user, out HashSet<ChatSession>? current) && ReferenceEquals(current, set))
                {
                    set.Add(session);
                    return;
                }
            }
        }
    }

    private void RemoveSubscriber(string user, ChatSession session)
    {
        if (_subscribers.TryGetValue(user, out HashSet<ChatSession>? set))
        {
            lock (set)
            {
                set.Remove(session);
                if (set.Count == 0)
                {
                    // Removing under the set's lock: a concurrent subscriber either added before (count > 0) or
                    // will find no entry and create a new set.
                    _subscribers.TryRemove(new KeyValuePair<string, HashSet<ChatSession>>(user, set));
                }
            }
        }
    }
}
