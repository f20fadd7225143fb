namespace ChatKit;

/// <summary>
/// Options of a ChatKit node. Bound from the configuration section <c>ChatKit</c> by the sample host; validated at
/// start (an invalid value stops the host with a message naming the key).
/// </summary>
public sealed class ChatKitOptions
{
    /// <summary>This node's id, unique among live nodes. Default: <c>n-</c> and 8 random hex digits.</summary>
    public string NodeId { get; set; } = "n-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// The WebSocket URL clients use to reach this node, announced for discovery
    /// (for example <c>ws://10.0.0.5:5000/chatkit</c>). Default: <see langword="null"/>, in which case discovery
    /// answers with the URL of the request it serves.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>Live sessions this node is meant to carry; discovery prefers nodes with the most spare capacity. Default 100,000.</summary>
    public int NodeCapacity { get; set; } = 100_000;

    /// <summary>Snowflake worker id (0–1023) on a single node; multi-node adapters lease their own. Default 0.</summary>
    public int WorkerId { get; set; }

    /// <summary>Heartbeat interval announced to clients; a session silent for three intervals is closed with 4000. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a dropped connection keeps its device online, waiting for a reconnect. Default 5 s.</summary>
    public TimeSpan PresenceGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often, at most, an open session's frames move its user's stored <c>lastActiveAt</c> forward; opening and
    /// closing a session always record it. An online user's <c>lastActiveAt</c> is therefore up to this much older
    /// than their last frame (an offline user's is when their last session closed, or, when a node died, its last
    /// write), and a store shared by many nodes takes one write per open session per interval, most of them brought by
    /// idle devices' <c>ping</c>. Default 60 s; zero writes on every frame.
    /// </summary>
    public TimeSpan PresenceTouchInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most members of a group, the creator included. Default 100.</summary>
    public int MaxGroupMembers { get; set; } = 100;

    /// <summary>Longest message body in UTF-16 code units. Default 4,000.</summary>
    public int MaxBodyChars { get; set; } = 4000;

    /// <summary>Largest <c>meta</c> object, in bytes of UTF-8 JSON. Default 4,096.</summary>
    public int MaxMetaBytes { get; set; } = 4096;

    /// <summary>Largest WebSocket message a client may send, in bytes; larger closes with 1009. Default 65,536.</summary>
    public int MaxFrameBytes { get; set; } = 65536;

    /// <summary>How many of the newest entries each inbox keeps; an older cursor gets <c>reset</c>. Default 10,000.</summary>
    public int InboxRetentionCount { get; set; } = 10_000;

    /// <summary>Optional maximum age of inbox entries (the newest entry is always kept). Default <see langword="null"/>: no age limit.</summary>
    public TimeSpan? InboxRetentionAge { get; set; }

    /// <summary>How long a <c>clientMsgId</c> is remembered for dedupe, at least. Default 24 h.</summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Frames a session may have waiting to be written before it is closed with 4009 as too slow. Default 2,048.</summary>
    public int SessionQueueCapacity { get; set; } = 2048;

    /// <summary>
    /// Browser origins allowed to open a WebSocket. Requests without an <c>Origin</c> header (non-browser clients)
    /// and same-origin requests are always allowed; <c>*</c> allows every origin. Default: empty.
    /// </summary>
    public IList<string> AllowedOrigins { get; set; } = [];

    /// <summary>The per-user send rate limit.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>A user with a session active this recently gets no push notification. Default 10 s.</summary>
    public TimeSpan PushActivityGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether push notifications may carry a preview of the message body. Default <see langword="false"/>: ids only.</summary>
    public bool PushIncludesPreview { get; set; }

    /// <summary>The user id of messages the host sends with <see cref="IChatEngine.SendSystemMessageAsync"/>. Default <c>system</c>.</summary>
    public string SystemUserId { get; set; } = "system";

    /// <summary>How long a draining node tells clients to wait before reconnecting. Default 500 ms.</summary>
    public TimeSpan DrainRetryAfter { get; set; } = TimeSpan.FromMilliseconds(500);
}
