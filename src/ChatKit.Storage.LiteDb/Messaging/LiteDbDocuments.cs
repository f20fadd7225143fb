using ChatKit.Messaging;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// How channels, membership rows and block documents are laid out as BSON (see
/// <see cref="Internal.LiteDbCollections"/> for the collections; the entries inside blocks are <see cref="BlockCodec"/>'s
/// and journal records <see cref="JournalCodec"/>'s).
/// Short field names: they are stored with every document.
/// </summary>
internal static class LiteDbDocuments
{
    /// <summary>How many entries a block document holds (history and inbox blocks alike).</summary>
    public const string BlockCount = "n";

    /// <summary>A block's entries, encoded by <see cref="BlockCodec"/>.</summary>
    public const string BlockData = "b";

    // --------------------------------------------------------------------------------------------- channels

    public static BsonDocument Channel(ChatChannel channel)
    {
        var doc = new BsonDocument
        {
            ["_id"] = channel.Id,
            ["k"] = (int)channel.Kind,
            ["mb"] = new BsonArray(channel.Members.Select(static m => new BsonValue(m))),
            ["t"] = Ms(channel.CreatedAt),
            ["s"] = channel.LastSeq,
            ["a"] = Ms(channel.LastActivityAt),
        };
        if (channel.Name is not null)
        {
            doc["n"] = channel.Name;
        }

        if (channel.Owner is not null)
        {
            doc["o"] = channel.Owner;
        }

        return doc;
    }

    public static ChatChannel Channel(BsonDocument doc)
    {
        BsonArray members = doc["mb"].AsArray;
        string[] memberIds = new string[members.Count];
        for (int i = 0; i < memberIds.Length; i++)
        {
            memberIds[i] = members[i].AsString;
        }

        return new ChatChannel(doc["_id"].AsString, (ChannelKind)doc["k"].AsInt32,
            doc.TryGetValue("n", out BsonValue name) ? name.AsString : null,
            doc.TryGetValue("o", out BsonValue owner) ? owner.AsString : null,
            memberIds, doc["s"].AsInt64, FromMs(doc["t"]), FromMs(doc["a"]));
    }

    // --------------------------------------------------------------------------------------------- members

    public static BsonDocument Member(string key, string channelId, MemberRow row) => new()
    {
        ["_id"] = key,
        ["c"] = channelId,
        ["r"] = row.Read,
        ["m"] = row.Member,
    };

    public static MemberRow Member(BsonDocument doc) => new(doc["m"].AsBoolean, doc["r"].AsInt64);

    // --------------------------------------------------------------------------------------------- shared

    public static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(BsonValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64);
}
