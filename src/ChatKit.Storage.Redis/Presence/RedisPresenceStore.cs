using System.Collections.Concurrent;
using ChatKit.Hosting;
using ChatKit.Internal;
using StackExchange.Redis;

namespace ChatKit.Presence;

/// <summary>
/// <see cref="IPresenceStore"/> on Redis, and the session directory that cross-node delivery routes by: each user's
/// sessions (<c>{u:ID}:s</c>, session → node instance) and last activity, changed by scripts that decide first-open
/// and last-close atomically. Each node instance also lists the users it holds sessions of (<c>{i:ID}:u</c>), so
/// that when it dies the others take its sessions out and its users go offline within the node timeout.
/// </summary>
internal sealed class RedisPresenceStore : IPresenceStore
{
    private readonly RedisContext _ctx;
    private readonly RedisKeys _keys;

    // This instance's sessions: what it registers again if another node took it for dead, and whose users it heals
    // after a lost connection.
    private readonly ConcurrentDictionary<string, string> _localSessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _localUsers = new(StringComparer.Ordinal);

    public RedisPresenceStore(RedisContext context)
    {
        _ctx = context;
        _keys = context.Keys;
    }

    /// <summary>Users with a session on this node now.</summary>
    public IReadOnlyCollection<string> LocalUsers
    {
        get
        {
            lock (_localUsers)
            {
                return _localUsers.Keys.ToArray();
            }
        }
    }

    public int LocalSessionCount => _localSessions.Count;

    public ValueTask<bool> AddSessionAsync(string user, string sessionId, string nodeId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            if (_localSessions.TryAdd(sessionId, user))
            {
                lock (_localUsers)
                {
                    _localUsers[user] = _localUsers.GetValueOrDefault(user) + 1;
                }
            }

            await _ctx.EnsureAnnouncedAsync(db).ConfigureAwait(false);

            // The node's user list first: if this node dies right after, the session is still found and removed.
            await db.SetAddAsync(_keys.InstanceUsers(_ctx.Instance), user).ConfigureAwait(false);
            return (int)await db.ScriptEvaluateAsync(Scripts.AddSession, [_keys.Sessions(user), _keys.User(user)],
                [sessionId, _ctx.Instance, at.ToUnixTimeMilliseconds()]).ConfigureAwait(false) == 1;
        }, cancellationToken));

    public ValueTask<bool> RemoveSessionAsync(string user, string sessionId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            bool wasLocal = _localSessions.TryRemove(sessionId, out _);
            bool userLeft = false;
            if (wasLocal)
            {
                lock (_localUsers)
                {
                    int n = _localUsers.GetValueOrDefault(user) - 1;
                    userLeft = n <= 0;
                    if (userLeft)
                    {
                        _localUsers.Remove(user);
                    }
                    else
                    {
                        _localUsers[user] = n;
                    }
                }
            }

            bool last = (int)await db.ScriptEvaluateAsync(Scripts.RemoveSession, [_keys.Sessions(user), _keys.User(user)],
                [sessionId, at.ToUnixTimeMilliseconds()]).ConfigureAwait(false) == 1;
            if (userLeft)
            {
                await db.SetRemoveAsync(_keys.InstanceUsers(_ctx.Instance), user).ConfigureAwait(false);
                bool cameBack;
                lock (_localUsers)
                {
                    cameBack = _localUsers.ContainsKey(user);
                }

                if (cameBack)
                {
                    // A new session of the user opened meanwhile; it must stay findable when this node dies.
                    await db.SetAddAsync(_keys.InstanceUsers(_ctx.Instance), user).ConfigureAwait(false);
                }
            }

            return last;
        }, cancellationToken));

    public ValueTask TouchAsync(string user, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync(async db =>
        {
            // Fire and forget: every open session touches once per PresenceTouchInterval, most of them on an idle
            // device's ping, and a reply (there is none) would only cost a thread-pool hop. A later read on the
            // connection still sees it.
            await db.ScriptEvaluateAsync(Scripts.Touch, [_keys.User(user)], [at.ToUnixTimeMilliseconds()], CommandFlags.FireAndForget).ConfigureAwait(false);
            return true;
        }, cancellationToken));

    public ValueTask<IReadOnlyList<PresenceInfo>> GetAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        return new(_ctx.RunAsync<IReadOnlyList<PresenceInfo>>(async db =>
        {
            var calls = new Task<RedisResult>[users.Count];
            for (int i = 0; i < users.Count; i++)
            {
                calls[i] = db.ScriptEvaluateAsync(Scripts.GetPresence, [_keys.Sessions(users[i]), _keys.User(users[i])]);
            }

            await Task.WhenAll(calls).ConfigureAwait(false);
            var result = new PresenceInfo[users.Count];
            for (int i = 0; i < users.Count; i++)
            {
                var r = (RedisResult[])calls[i].Result!;
                DateTimeOffset? lastActive = r[1].IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)r[1]);
                result[i] = new PresenceInfo(users[i], (long)r[0] > 0, lastActive);
            }

            return result;
        }, cancellationToken));
    }

    /// <summary>Where <paramref name="users"/> have sessions: node instances per user (pipelined, one command each).</summary>
    public async Task<Dictionary<string, string[]>> LookupAsync(IDatabase db, IEnumerable<string> users)
    {
        var calls = new List<(string User, Task<RedisValue[]> Call)>();
        foreach (string u in users)
        {
            calls.Add((u, db.HashValuesAsync(_keys.Sessions(u))));
        }

        await Task.WhenAll(calls.Select(c => c.Call)).ConfigureAwait(false);
        var map = new Dictionary<string, string[]>(calls.Count, StringComparer.Ordinal);
        foreach ((string user, Task<RedisValue[]> call) in calls)
        {
            map[user] = call.Result.Select(v => (string)v!).Distinct(StringComparer.Ordinal).ToArray();
        }

        return map;
    }

    /// <summary>
    /// Takes a dead instance's sessions out. Returns the users who went offline with it (with their last activity)
    /// and how many users it had.
    /// </summary>
    public async Task<(List<PresenceChange> Offline, int Users)> ReapAsync(IDatabase db, string deadInstance)
    {
        RedisKey usersKey = _keys.InstanceUsers(deadInstance);
        var offline = new List<PresenceChange>();
        int count = 0;
        await foreach (RedisValue u in db.SetScanAsync(usersKey, pageSize: 500).ConfigureAwait(false))
        {
            string user = u!;
            count++;
            var r = (RedisResult[])(await db.ScriptEvaluateAsync(Scripts.ReapSessions, [_keys.Sessions(user), _keys.User(user)], [deadInstance]).ConfigureAwait(false))!;
            if ((int)r[0] == 1)
            {
                DateTimeOffset lastActive = r[1].IsNull ? _ctx.Clock.GetUtcNow() : DateTimeOffset.FromUnixTimeMilliseconds((long)r[1]);
                offline.Add(new PresenceChange(user, false, lastActive));
            }
        }

        await db.KeyDeleteAsync(usersKey).ConfigureAwait(false);
        return (offline, count);
    }

    /// <summary>
    /// Registers this instance's sessions again, after another node took it for dead and removed them. Returns the
    /// users who are online again because of it.
    /// </summary>
    public async Task<List<PresenceChange>> ReregisterAsync(IDatabase db)
    {
        KeyValuePair<string, string>[] sessions = _localSessions.ToArray();
        var adds = new List<Task>();
        var calls = new List<(string User, Task<RedisResult> Call)>();
        long now = _ctx.NowMs;
        foreach (KeyValuePair<string, string> s in sessions)
        {
            adds.Add(db.SetAddAsync(_keys.InstanceUsers(_ctx.Instance), s.Value));
        }

        await Task.WhenAll(adds).ConfigureAwait(false);
        foreach (KeyValuePair<string, string> s in sessions)
        {
            calls.Add((s.Value, db.ScriptEvaluateAsync(Scripts.AddSession, [_keys.Sessions(s.Value), _keys.User(s.Value)], [s.Key, _ctx.Instance, now])));
        }

        await Task.WhenAll(calls.Select(c => c.Call)).ConfigureAwait(false);
        var online = new List<PresenceChange>();
        foreach ((string user, Task<RedisResult> call) in calls)
        {
            if ((int)call.Result == 1)
            {
                online.Add(new PresenceChange(user, true, DateTimeOffset.FromUnixTimeMilliseconds(now)));
            }
        }

        return online;
    }
}
