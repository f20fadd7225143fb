namespace ChatKit.Presence;

/// <summary>The default <see cref="IPresenceStore"/>: one node's memory.</summary>
public sealed class InMemoryPresenceStore : IPresenceStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _users = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<bool> AddSessionAsync(string user, string sessionId, string nodeId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Entry e = Get(user);
            e.LastActiveAt = Max(e.LastActiveAt, at);
            return new(e.Sessions.Add(sessionId) && e.Sessions.Count == 1);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveSessionAsync(string user, string sessionId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Entry e = Get(user);
            e.LastActiveAt = Max(e.LastActiveAt, at);
            return new(e.Sessions.Remove(sessionId) && e.Sessions.Count == 0);
        }
    }

    /// <inheritdoc />
    public ValueTask TouchAsync(string user, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Entry e = Get(user);
            e.LastActiveAt = Max(e.LastActiveAt, at);
        }

        return default;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PresenceInfo>> GetAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var result = new PresenceInfo[users.Count];
        lock (_gate)
        {
            for (int i = 0; i < users.Count; i++)
            {
                result[i] = _users.TryGetValue(users[i], out Entry? e)
                    ? new PresenceInfo(users[i], e.Sessions.Count > 0, e.LastActiveAt)
                    : new PresenceInfo(users[i], false, null);
            }
        }

        return new(result);
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private Entry Get(string user)
    {
        if (!_users.TryGetValue(user, out Entry? e))
        {
            e = new Entry();
            _users.Add(user, e);
        }

        return e;
    }

    private sealed class Entry
    {
        public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);
        public DateTimeOffset? LastActiveAt { get; set; }
    }
}
