namespace ChatKit.Push;

/// <summary>The default <see cref="IPushTokenStore"/>: process memory.</summary>
public sealed class InMemoryPushTokenStore : IPushTokenStore
{
    /// <summary>Most tokens kept per user; registering more drops the oldest, so a client cannot grow memory without bound.</summary>
    public const int MaxTokensPerUser = 32;

    private readonly object _gate = new();
    private readonly Dictionary<string, List<PushToken>> _byUser = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask RegisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_gate)
        {
            if (!_byUser.TryGetValue(token.User, out List<PushToken>? list))
            {
                list = [];
                _byUser.Add(token.User, list);
            }

            list.RemoveAll(t => t.Device == token.Device && t.Provider == token.Provider);
            list.Add(token);
            if (list.Count > MaxTokensPerUser)
            {
                list.RemoveAt(0);
            }
        }

        return default;
    }

    /// <inheritdoc />
    public ValueTask<bool> UnregisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_gate)
        {
            bool removed = _byUser.TryGetValue(token.User, out List<PushToken>? list)
                && list.RemoveAll(t => t.Device == token.Device && t.Provider == token.Provider && t.Token == token.Token) > 0;
            if (list is { Count: 0 })
            {
                _byUser.Remove(token.User);
            }

            return new(removed);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PushToken>> GetTokensAsync(string user, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return new(_byUser.TryGetValue(user, out List<PushToken>? list) ? list.ToArray() : []);
        }
    }
}
