using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>
/// Any frame the server sends, as a client reads it (PROTOCOL.md sections 1–5). The server writes frames with
/// <see cref="ServerFrameWriter"/> instead, so that a message is serialized once for all recipients.
/// </summary>
/// <remarks>
/// <see cref="Message"/> is a <see cref="JsonElement"/> because the protocol uses the name for a string in
/// <c>error</c> and for a message object in <c>entry</c> and in the <c>send</c> reply; use
/// <see cref="ErrorMessage"/> and <see cref="GetMessage"/> to read it.
/// </remarks>
public sealed class ServerFrame
{
    /// <summary>The frame type.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    /// <summary>The request id this frame answers.</summary>
    [JsonPropertyName("rid")] public string? Rid { get; set; }
    /// <summary><c>error</c>: the error code.</summary>
    [JsonPropertyName("code")] public string? Code { get; set; }
    /// <summary>The error text (in <c>error</c>) or a message object (in <c>entry</c> and the <c>send</c> reply).</summary>
    [JsonPropertyName("message")] public JsonElement? Message { get; set; }
    /// <summary><c>rate_limited</c> and <c>drain</c>: when to retry.</summary>
    [JsonPropertyName("retryAfterMs")] public long? RetryAfterMs { get; set; }
    /// <summary>The user the frame is about.</summary>
    [JsonPropertyName("user")] public string? User { get; set; }
    /// <summary><c>welcome</c>: the device.</summary>
    [JsonPropertyName("device")] public string? Device { get; set; }
    /// <summary><c>welcome</c>: the session id.</summary>
    [JsonPropertyName("session")] public string? Session { get; set; }
    /// <summary><c>welcome</c>: the node id.</summary>
    [JsonPropertyName("node")] public string? Node { get; set; }
    /// <summary>The newest inbox <c>seq</c>.</summary>
    [JsonPropertyName("head")] public long? Head { get; set; }
    /// <summary><c>welcome</c>: the heartbeat interval.</summary>
    [JsonPropertyName("heartbeatMs")] public int? HeartbeatMs { get; set; }
    /// <summary><c>welcome</c>: the server's limits.</summary>
    [JsonPropertyName("limits")] public WireLimits? Limits { get; set; }
    /// <summary><c>entry</c>: the inbox sequence.</summary>
    [JsonPropertyName("seq")] public long? Seq { get; set; }
    /// <summary><c>entry</c>: <c>message</c>, <c>read</c> or <c>member</c>.</summary>
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    /// <summary>The channel the frame is about, or a channel object in group replies.</summary>
    [JsonPropertyName("channel")] public JsonElement? Channel { get; set; }
    /// <summary><c>read</c> entries and receipts: the <c>channelSeq</c>.</summary>
    [JsonPropertyName("upTo")] public long? UpTo { get; set; }
    /// <summary><c>member</c> entries: <c>added</c> or <c>removed</c>.</summary>
    [JsonPropertyName("change")] public string? Change { get; set; }
    /// <summary><c>member</c> entries: who made the change.</summary>
    [JsonPropertyName("by")] public string? By { get; set; }
    /// <summary><c>history</c> reply.</summary>
    [JsonPropertyName("messages")] public WireMessage[]? Messages { get; set; }
    /// <summary><c>history</c> and <c>sync</c> replies: more are available.</summary>
    [JsonPropertyName("hasMore")] public bool? HasMore { get; set; }
    /// <summary><c>sync</c> reply.</summary>
    [JsonPropertyName("entries")] public ServerFrame[]? Entries { get; set; }
    /// <summary><c>sync</c> reply: the cursor is out of range.</summary>
    [JsonPropertyName("reset")] public bool? Reset { get; set; }
    /// <summary><c>channels</c> reply.</summary>
    [JsonPropertyName("channels")] public WireChannel[]? Channels { get; set; }
    /// <summary><c>presence.sub</c> reply.</summary>
    [JsonPropertyName("presence")] public WirePresence[]? Presence { get; set; }
    /// <summary><c>presence</c> event: <c>online</c> or <c>offline</c>.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    /// <summary><c>presence</c> event: last activity, Unix milliseconds.</summary>
    [JsonPropertyName("lastActiveAt")] public long? LastActiveAt { get; set; }
    /// <summary><c>pong</c>: the server's clock, Unix milliseconds.</summary>
    [JsonPropertyName("time")] public long? Time { get; set; }

    /// <summary>The error text of an <c>error</c> frame.</summary>
    [JsonIgnore]
    public string? ErrorMessage => Message is { ValueKind: JsonValueKind.String } m ? m.GetString() : null;

    /// <summary>The channel id when <see cref="Channel"/> is a string.</summary>
    [JsonIgnore]
    public string? ChannelId => Channel is { ValueKind: JsonValueKind.String } c ? c.GetString() : null;

    /// <summary>The message object of an <c>entry</c> frame or a <c>send</c> reply, or <see langword="null"/>.</summary>
    public WireMessage? GetMessage() =>
        Message is { ValueKind: JsonValueKind.Object } m ? m.Deserialize(ChatKitJsonContext.Default.WireMessage) : null;

    /// <summary>The channel object of a group reply, or <see langword="null"/>.</summary>
    public WireChannel? GetChannelObject() =>
        Channel is { ValueKind: JsonValueKind.Object } c ? c.Deserialize(ChatKitJsonContext.Default.WireChannel) : null;
}
