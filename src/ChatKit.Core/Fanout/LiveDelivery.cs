using ChatKit.Internal;
using ChatKit.Presence;
using ChatKit.Push;
using ChatKit.Sync;
using Microsoft.Extensions.Logging;

namespace ChatKit.Fanout;

/// <summary>
/// Where appended inbox entries and ephemeral frames go live (DESIGN.md section 3, steps 5–7): this node's sessions
/// directly, other nodes through the <see cref="IChatBus"/>, long-poll waiters, and push for offline users.
/// Also what the bus hands frames from other nodes to.
/// </summary>
internal sealed class LiveDelivery : IInboxAppendListener, IChatBusReceiver
{
    private readonly SessionManager _sessions;
    private readonly IChatBus _bus;
    private readonly InboxWaiters _waiters;
    private readonly PushDispatcher _push;
    private readonly PresenceService _presence;
    private readonly ILogger _logger;

    public LiveDelivery(SessionManager sessions, IChatBus bus, InboxWaiters waiters, PushDispatcher push, PresenceService presence, ILogger<LiveDelivery> logger)
    {
        _sessions = sessions;
        _bus = bus;
        _waiters = waiters;
        _push = push;
        _presence = presence;
        _logger = logger;
    }

    public async ValueTask OnAppendedAsync(IReadOnlyList<AppendedEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0)
        {
            return;
        }

        DeliverLocal(entries);
        _push.OnAppended(entries);
        try
        {
            await _bus.PublishEntriesAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The entries are durable; remote sessions heal the gap from the inbox on their next entry or reconnect.
            Log.BusPublishFailed(_logger, ex);
        }
    }

    public async ValueTask SendFrameAsync(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame, ChatSession? except, CancellationToken cancellationToken)
    {
        _sessions.DeliverFrame(users, frame, except);
        try
        {
            await _bus.PublishFrameAsync(users, frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.BusPublishFailed(_logger, ex);
        }
    }

    public void OnEntries(IReadOnlyList<AppendedEntry> entries) => DeliverLocal(entries);

    public void OnFrame(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame) => _sessions.DeliverFrame(users, frame);

    public void OnPresence(PresenceChange change) => _presence.OnChange(change);

    private void DeliverLocal(IReadOnlyList<AppendedEntry> entries)
    {
        _sessions.DeliverEntries(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            _waiters.Notify(entries[i].User);
        }
    }
}
