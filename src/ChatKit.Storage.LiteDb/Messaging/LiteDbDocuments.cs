using ChatKit.Messaging;
using LiteDB;

namespace ChatKit.Storage.LiteDb.Messaging;

/// <summary>
/// How channels, membership rows, journal records and block documents are laid out as BSON (see
/// <see cref="Internal.LiteDbCollections"/> for the collections; the entries inside blocks are <see cref="BlockCodec"/>'s).
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

    // --------------------------------------------------------------------------------------------- messages

    /// <summary>A message's fields (a journal record adds its channel and position).</summary>
    private static BsonDocument MessageEntry(ChatMessage message, bool deleted)
    {
        var doc = new BsonDocument
        {
            ["i"] = message.Id,
            ["f"] = message.From,
            ["d"] = message.Device,
            ["cm"] = message.ClientMsgId,
            ["t"] = Ms(message.SentAt),
        };
        if (deleted)
        {
            // A tombstone: the body and meta are gone from the file; the position stays taken.
            doc["x"] = true;
            return doc;
        }

        doc["b"] = message.Body;
        if (message.MetaJson is not null)
        {
            doc["m"] = message.MetaJson;
        }

        return doc;
    }

    private static ChatMessage MessageEntry(BsonDocument doc, string channelId, long channelSeq) =>
        new(doc["i"].AsInt64, channelId, channelSeq, doc["f"].AsString, doc["d"].AsString,
            doc.TryGetValue("b", out BsonValue body) ? body.AsString : "",
            doc.TryGetValue("m", out BsonValue meta) ? meta.AsString : null,
            doc["cm"].AsString, FromMs(doc["t"]));

    // --------------------------------------------------------------------------------------------- members

    public static BsonDocument Member(string key, string channelId, MemberRow row) => new()
    {
        ["_id"] = key,
        ["c"] = channelId,
        ["r"] = row.Read,
        ["m"] = row.Member,
    };

    public static MemberRow Member(BsonDocument doc) => new(doc["m"].AsBoolean, doc["r"].AsInt64);

    // --------------------------------------------------------------------------------------------- journal

    public const string RecordKind = "k";

    public static BsonDocument MessageRecord(ChatMessage message, (string Low, string High)? createsDirect)
    {
        BsonDocument doc = MessageEntry(message, deleted: false);
        doc[RecordKind] = "m";
        doc["c"] = message.ChannelId;
        doc["s"] = message.ChannelSeq;
        if (createsDirect is (string low, string high))
        {
            doc["dl"] = low;
            doc["dh"] = high;
        }

        return doc;
    }

    public static (ChatMessage Message, (string Low, string High)? CreatesDirect) MessageRecord(BsonDocument doc)
    {
        ChatMessage message = MessageEntry(doc, doc["c"].AsString, doc["s"].AsInt64);
        return (message, doc.TryGetValue("dl", out BsonValue low) ? (low.AsString, doc["dh"].AsString) : null);
    }

    public static BsonDocument GroupRecord(string channelId, string name, string owner, IReadOnlyList<string> members, DateTimeOffset at) => new()
    {
        [RecordKind] = "g",
        ["c"] = channelId,
        ["n"] = name,
        ["o"] = owner,
        ["u"] = Strings(members),
        ["t"] = Ms(at),
    };

    public static BsonDocument MembersRecord(string channelId, string actor, bool add, IReadOnlyList<string> users, DateTimeOffset at) => new()
    {
        [RecordKind] = "c",
        ["c"] = channelId,
        ["by"] = actor,
        ["add"] = add,
        ["u"] = Strings(users),
        ["t"] = Ms(at),
    };

    public static BsonDocument ReadRecord(string user, string channelId, long upTo, DateTimeOffset at) => new()
    {
        [RecordKind] = "r",
        ["u"] = user,
        ["c"] = channelId,
        ["s"] = upTo,
        ["t"] = Ms(at),
    };

    public static BsonDocument DeleteRecord(string channelId, long channelSeq) => new()
    {
        [RecordKind] = "x",
        ["c"] = channelId,
        ["s"] = channelSeq,
    };

    public static string[] Strings(BsonValue value)
    {
        BsonArray array = value.AsArray;
        string[] strings = new string[array.Count];
        for (int i = 0; i < strings.Length; i++)
        {
            strings[i] = array[i].AsString;
        }

        return strings;
    }

    // --------------------------------------------------------------------------------------------- shared

    public static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(BsonValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64);

    private static BsonArray Strings(IReadOnlyList<string> values)
    {
        var array = new BsonArray();
        foreach (string value in values)
        {
            array.Add(value);
        }

        return array;
    }
}
