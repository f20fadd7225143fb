using ChatKit.Messaging;
using ChatKit.Storage.LiteDb.Internal;
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

    /// <summary>A history block's newest message's time (Unix milliseconds).</summary>
    public const string BlockTime = "t";

    /// <summary>The position of a block's first entry (its key).</summary>
    public static long BlockStart(BsonDocument block) => LiteDbKeys.ParseSequenced(block["_id"].AsString).Seq;

    /// <summary>The position after a block's last entry.</summary>
    public static long BlockEnd(BsonDocument block) => BlockStart(block) + block[BlockCount].AsInt32;

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

    /// <summary>
    /// A channel from its document and its newest history block. The document is not rewritten for every message
    /// (see <c>LiteDbMessageStore.DocumentDue</c>): its last <c>channelSeq</c> and activity are the newest block's
    /// when that is newer.
    /// </summary>
    public static ChatChannel Channel(BsonDocument doc, BsonDocument? newestBlock)
    {
        BsonArray members = doc["mb"].AsArray;
        string[] memberIds = new string[members.Count];
        for (int i = 0; i < memberIds.Length; i++)
        {
            memberIds[i] = members[i].AsString;
        }

        long lastSeq = doc["s"].AsInt64;
        long activity = doc["a"].AsInt64;
        if (newestBlock is not null)
        {
            lastSeq = Math.Max(lastSeq, BlockEnd(newestBlock) - 1);
            activity = Math.Max(activity, newestBlock[BlockTime].AsInt64);
        }

        return new ChatChannel(doc["_id"].AsString, (ChannelKind)doc["k"].AsInt32,
            doc.TryGetValue("n", out BsonValue name) ? name.AsString : null,
            doc.TryGetValue("o", out BsonValue owner) ? owner.AsString : null,
            memberIds, lastSeq, FromMs(doc["t"]), DateTimeOffset.FromUnixTimeMilliseconds(activity));
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
