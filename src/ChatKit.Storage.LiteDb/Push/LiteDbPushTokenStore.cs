using ChatKit.Push;
using ChatKit.Storage.LiteDb.Internal;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Push;

/// <summary>
/// The <see cref="IPushTokenStore"/> in the same LiteDB file as the messages: one document per (user, device,
/// provider), keyed <c>USER|DEVICE|PROVIDER</c> so that a user's tokens are one range of the <c>_id</c> index.
/// </summary>
internal sealed class LiteDbPushTokenStore : IPushTokenStore
{
    private readonly LiteDbChatDatabase _database;
    private long _lastOrder;

    /// <summary>Creates the store over <paramref name="database"/>; opens nothing.</summary>
    public LiteDbPushTokenStore(LiteDbChatDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    private ILiteCollection<BsonDocument> Tokens => _database.Db.GetCollection(LiteDbCollections.PushTokens);

    /// <inheritdoc />
    public ValueTask RegisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new(_database.WriteAsync(() =>
        {
            // Registration order, kept so that the oldest token goes first when a user has too many.
            long order = Math.Max(_lastOrder + 1, DateTime.UtcNow.Ticks);
            _lastOrder = order;
            Tokens.Upsert(new BsonDocument
            {
                ["_id"] = LiteDbKeys.Join(token.User, token.Device, token.Provider),
                ["u"] = token.User,
                ["d"] = token.Device,
                ["p"] = token.Provider,
                ["tok"] = token.Token,
                ["o"] = order,
            });
            List<BsonDocument> all = ReadUser(token.User);
            for (int i = 0; i < all.Count - InMemoryPushTokenStore.MaxTokensPerUser; i++)
            {
                Tokens.Delete(all[i]["_id"]);
            }

            return true;
        }, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<bool> UnregisterAsync(PushToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new(_database.WriteAsync(() =>
        {
            string key = LiteDbKeys.Join(token.User, token.Device, token.Provider);
            BsonDocument? doc = Tokens.FindById(key);
            return doc is not null && string.Equals(doc["tok"].AsString, token.Token, StringComparison.Ordinal) && Tokens.Delete(key);
        }, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PushToken>> GetTokensAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(_database.Read(() => ReadUser(user))
            .Select(static d => new PushToken(d["u"].AsString, d["d"].AsString, d["p"].AsString, d["tok"].AsString))
            .ToArray());
    }

    private List<BsonDocument> ReadUser(string user)
    {
        List<BsonDocument> docs = Tokens.Find(LiteDbKeys.IdBetween(LiteDbKeys.PrefixStart(user), LiteDbKeys.PrefixEnd(user))).ToList();
        docs.Sort(static (a, b) => a["o"].AsInt64.CompareTo(b["o"].AsInt64));
        return docs;
    }
}
