using ChatKit.Hosting;
using ChatKit.Internal;
using StackExchange.Redis;

namespace ChatKit.Push;

/// <summary>
/// <see cref="IPushTokenStore"/> on Redis: one hash per user (<c>{u:ID}:t</c>, device and provider → token), at most
/// <see cref="InMemoryPushTokenStore.MaxTokensPerUser"/> per user, the oldest dropped first.
/// </summary>
internal sealed class RedisPushTokenStore : IPushTokenStore
{
    private readonly RedisContext _ctx;

    public RedisPushTokenStore(RedisContext context) => _ctx = context;

    public ValueTask RegisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new(_ctx.RunAsync(async db =>
        {
            await db.ScriptEvaluateAsync(Scripts.RegisterToken, [_ctx.Keys.PushTokens(token.User), _ctx.Keys.User(token.User)],
                [Field(token), token.Token, InMemoryPushTokenStore.MaxTokensPerUser]).ConfigureAwait(false);
            return true;
        }, cancellationToken));
    }

    public ValueTask<bool> UnregisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new(_ctx.RunAsync(async db =>
            (int)await db.ScriptEvaluateAsync(Scripts.UnregisterToken, [_ctx.Keys.PushTokens(token.User)], [Field(token), token.Token]).ConfigureAwait(false) == 1,
            cancellationToken));
    }

    public ValueTask<IReadOnlyList<PushToken>> GetTokensAsync(string user, CancellationToken cancellationToken = default) =>
        new(_ctx.RunAsync<IReadOnlyList<PushToken>>(async db =>
        {
            HashEntry[] all = await db.HashGetAllAsync(_ctx.Keys.PushTokens(user)).ConfigureAwait(false);
            var list = new List<(long Order, PushToken Token)>(all.Length);
            foreach (HashEntry e in all)
            {
                string field = e.Name!;
                string value = e.Value!;
                int nl = field.IndexOf('\n', StringComparison.Ordinal);
                int bar = value.IndexOf('|', StringComparison.Ordinal);
                list.Add((long.Parse(value.AsSpan(0, bar), System.Globalization.CultureInfo.InvariantCulture),
                    new PushToken(user, field[..nl], field[(nl + 1)..], value[(bar + 1)..])));
            }

            return list.OrderBy(t => t.Order).Select(t => t.Token).ToArray();
        }, cancellationToken));

    private static string Field(PushToken token) => token.Device + "\n" + token.Provider;
}
