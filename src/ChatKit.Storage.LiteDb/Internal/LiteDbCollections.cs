namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// The collections of a ChatKit LiteDB file. Every key is a string compared ordinally; compound keys join their
/// parts with <c>|</c>, which no user, device or channel id contains, and end in a fixed-width hexadecimal sequence
/// number so that one user's inbox or one channel's history is one contiguous range of the <c>_id</c> index.
/// </summary>
internal static class LiteDbCollections
{
    /// <summary><c>_id</c> = channel id; kind, name, owner, members in join order, created at, last <c>channelSeq</c>
    /// and activity (indexed). Not rewritten for every message: the last <c>channelSeq</c> and activity may be older
    /// than the newest history block's, the activity by at most an hour.</summary>
    public const string Channels = "channels";

    /// <summary><c>_id</c> = <c>CHANNEL|SEQ</c>: a block of up to 64 consecutive messages from <c>SEQ</c> on, and its
    /// newest message's time. Deleted messages stay as small tombstones so that a <c>channelSeq</c> is never
    /// reused and inbox entries that reference them still resolve. The history is also the dedupe index: every
    /// message keeps its sender and <c>clientMsgId</c>.</summary>
    public const string Messages = "messages";

    /// <summary><c>_id</c> = <c>USER|SEQ</c>: a block of up to 256 consecutive inbox entries from <c>SEQ</c> on; the
    /// newest block also records the first kept <c>seq</c>. A message entry references the message by (channel,
    /// <c>channelSeq</c>) instead of copying it into every member's inbox.</summary>
    public const string Inbox = "inbox";

    /// <summary>Layout version 2 only: <c>_id</c> = a number in commit order, the records of one write batch not yet in
    /// the other collections. Version 3 keeps them in the journal file (see <c>JournalFile</c>); leftovers of a
    /// version-2 file are replayed when it is opened, then deleted.</summary>
    public const string Journal = "journal";

    /// <summary><c>_id</c> = <c>USER|CHANNEL</c>: the user → channels index, with the read mark and whether the user
    /// is still a member (a read mark outlives leaving the group, as in the in-memory store).</summary>
    public const string Members = "members";

    /// <summary><c>_id</c> = <c>USER|DEVICE|PROVIDER</c>; a push token.</summary>
    public const string PushTokens = "push";

    /// <summary>The layout version (<c>schema</c>) and the newest journal record folded into the layout (<c>journal</c>).</summary>
    public const string Meta = "meta";

    /// <summary>Every collection ChatKit writes.</summary>
    public static readonly string[] All = [Channels, Messages, Inbox, Members, PushTokens, Journal, Meta];
}
