using System.Collections.Concurrent;
using System.Security.Cryptography;
using ChatKit.Messaging;
using ChatKit.Presence;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using ChatKit.Sync;
using Microsoft.Extensions.Options;

namespace ChatKit.Fanout;

/// <summary>
/// This node's live sessions, indexed by user: where transports open and close sessions and where live delivery
/// finds its recipients. Lookups are lock-free (each user's sessions are a copy-on-write array).
/// </summary>
public sealed class SessionManager
{
    private readonly ConcurrentDictionary<string, ChatSession[]> _byUser = new(StringComparer.Ordinal);
    private readonly object _writeGate = new();
    private readonly IMessageStore _store;
    private readonly PresenceService _presence;
    private readonly TimeProvider _clock;
    private readonly ChatKitOptions _options;
    private int _count;

    internal SessionManager(IMessageStore store, PresenceService presence, TimeProvider clock, IOptions<ChatKitOptions> options)
    {
        _store = store;
        _presence = presence;
        _clock = clock;
        _options = options.Value;
    }

    /// <summary>Live sessions on this node.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether the node is draining: it accepts no new sessions.</summary>
    public bool IsDraining { get; private set; }

    /// <summary>
    /// Opens a session: registers it for live delivery, marks the device online, and queues <c>welcome</c>, then
    /// <c>reset</c> or every entry after <paramref name="after"/>, then live entries, with no gap, duplicate or
    /// reordering between backlog and live (PROTOCOL.md section 1).
    /// </summary>
    /// <param name="user">The authenticated user.</param>
    /// <param name="device">The device name (1–64 characters of <c>A–Z a–z 0–9 . _ -</c>).</param>
    /// <param name="after">The device's cursor, or <see langword="null"/> for live entries only.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <exception cref="ChatException"><c>bad_request</c> for an invalid user, device or cursor; <c>unavailable</c> when draining.</exception>
    public async Task<ChatSession> OpenAsync(string user, string device, long? after, CancellationToken cancellationToken = default)
    {
        if (!ProtocolLimits.IsValidUserId(user))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "The user id must be 1–64 characters of A–Z a–z 0–9 . _ - @ +.");
        }

        if (!ProtocolLimits.IsValidDevice(device))
        {
            throw new ChatException(ChatErrorCode.BadRequest, "device must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        }

        if (after is < 0)
        {
            throw new ChatException(ChatErrorCode.BadRequest, "after must be a non-negative inbox seq.");
        }

        if (IsDraining)
        {
            throw new ChatException(ChatErrorCode.Unavailable, "This node is draining; reconnect through discovery.");
        }

        string id = "s-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var session = new ChatSession(id, user, device, _options.SessionQueueCapacity, _store, _clock.GetTimestamp());
        Register(session);
        try
        {
            await _presence.SessionOpenedAsync(session, cancellationToken).ConfigureAwait(false);
            var limits = new WireLimits
            {
                MaxFrameBytes = _options.MaxFrameBytes,
                MaxBodyChars = _options.MaxBodyChars,
                MaxGroupMembers = _options.MaxGroupMembers,
            };
            int heartbeatMs = (int)_options.HeartbeatInterval.TotalMilliseconds;
            await session.StartAsync(head => ServerFrameWriter.Welcome(user, device, id, _options.NodeId, head, heartbeatMs, limits), after, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            session.FailStart();
            await CloseAsync(session, SessionCloseKind.Clean).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Ends a session after its connection closed: unregisters it and ends its presence, at once for a clean close
    /// and after the grace period for a dropped connection. Safe to call more than once.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="kind">How the connection ended.</param>
    public async Task CloseAsync(ChatSession session, SessionCloseKind kind)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.RequestClose(CloseCodes.Normal, "closed");
        if (Unregister(session))
        {
            await _presence.SessionClosedAsync(session, kind).ConfigureAwait(false);
        }
    }

    /// <summary>Asks every session of one device to close (logout). Their presence ends at once.</summary>
    /// <param name="user">The user.</param>
    /// <param name="device">The device.</param>
    /// <returns>How many sessions were asked to close.</returns>
    public int CloseDevice(string user, string device)
    {
        int n = 0;
        foreach (ChatSession s in SessionsOf(user))
        {
            if (string.Equals(s.Device, device, StringComparison.Ordinal))
            {
                s.RequestClose(CloseCodes.Normal, "logged out");
                n++;
            }
        }

        return n;
    }

    /// <summary>
    /// Starts draining: no new sessions, and every live one gets <c>drain</c> and is closed with 1012 so that its
    /// device reconnects elsewhere with its cursor.
    /// </summary>
    public void Drain()
    {
        lock (_writeGate)
        {
            if (IsDraining)
            {
                return;
            }

            IsDraining = true;
        }

        byte[] drain = ServerFrameWriter.Drain((long)_options.DrainRetryAfter.TotalMilliseconds);
        foreach (ChatSession[] sessions in _byUser.Values)
        {
            foreach (ChatSession s in sessions)
            {
                s.Send(drain);
                s.RequestClose(CloseCodes.ServiceRestart, "node draining");
            }
        }
    }

    /// <summary>This node's sessions of <paramref name="user"/> (an empty array when none).</summary>
    /// <param name="user">The user.</param>
    public IReadOnlyList<ChatSession> SessionsOf(string user) =>
        _byUser.TryGetValue(user, out ChatSession[]? s) ? s : [];

    /// <summary>Whether <paramref name="user"/> has a live session on this node.</summary>
    /// <param name="user">The user.</param>
    public bool HasSessions(string user) => _byUser.ContainsKey(user);

    internal void DeliverEntries(IReadOnlyList<AppendedEntry> entries)
    {
        // The entries of one commit share one item, which encodes its tail once and keeps it: every recipient gets
        // the same bytes.
        for (int i = 0; i < entries.Count; i++)
        {
            AppendedEntry e = entries[i];
            if (_byUser.TryGetValue(e.User, out ChatSession[]? sessions))
            {
                ReadOnlyMemory<byte> tail = e.Entry.Item.GetEntryTail();
                foreach (ChatSession s in sessions)
                {
                    s.Offer(e.Entry.Seq, tail);
                }
            }
        }
    }

    internal void DeliverFrame(IReadOnlyList<string> users, ReadOnlyMemory<byte> frame, ChatSession? except = null)
    {
        foreach (string user in users)
        {
            if (_byUser.TryGetValue(user, out ChatSession[]? sessions))
            {
                foreach (ChatSession s in sessions)
                {
                    if (!ReferenceEquals(s, except))
                    {
                        s.Send(frame);
                    }
                }
            }
        }
    }

    /// <summary>Closes sessions silent for three heartbeat intervals with 4000 (PROTOCOL.md section 6).</summary>
    internal int SweepSilentSessions()
    {
        long now = _clock.GetTimestamp();
        TimeSpan limit = _options.HeartbeatInterval * 3;
        int closed = 0;
        foreach (ChatSession[] sessions in _byUser.Values)
        {
            foreach (ChatSession s in sessions)
            {
                if (s.CloseCode is null && _clock.GetElapsedTime(s.LastActivityTimestamp, now) > limit)
                {
                    s.RequestClose(CloseCodes.HeartbeatTimeout, "heartbeat timeout");
                    closed++;
                }
            }
        }

        return closed;
    }

    private void Register(ChatSession session)
    {
        lock (_writeGate)
        {
            _byUser.AddOrUpdate(session.User, static (_, s) => [s], static (_, old, s) => [.. old, s], session);
            _count++;
        }
    }

    private bool Unregister(ChatSession session)
    {
        lock (_writeGate)
        {
            if (!_byUser.TryGetValue(session.User, out ChatSession[]? old) || Array.IndexOf(old, session) < 0)
            {
                return false;
            }

            if (old.Length == 1)
            {
                _byUser.TryRemove(session.User, out _);
            }
            else
            {
                _byUser[session.User] = Array.FindAll(old, s => !ReferenceEquals(s, session));
            }

            _count--;
            return true;
        }
    }
}
