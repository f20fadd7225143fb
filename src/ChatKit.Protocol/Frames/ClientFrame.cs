using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>
/// Any frame a client sends (PROTOCOL.md section 4). One flat shape for every request type keeps parsing
/// allocation-light and lets unknown fields be ignored; which fields matter depends on <see cref="Type"/>.
/// </summary>
public sealed class ClientFrame
{
    /// <summary>The request type, one of the request constants of <see cref="FrameTypes"/>.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    /// <summary>The request id chosen by the client (1–64 characters), echoed in the reply.</summary>
    [JsonPropertyName("rid")] public string? Rid { get; set; }
    /// <summary><c>send</c>: the user to message directly.</summary>
    [JsonPropertyName("to")] public string? To { get; set; }
    /// <summary>The channel the request is about.</summary>
    [JsonPropertyName("channel")] public string? Channel { get; set; }
    /// <summary><c>send</c>: the message text.</summary>
    [JsonPropertyName("body")] public string? Body { get; set; }
    /// <summary><c>send</c>: the client's idempotency key (1–64 characters).</summary>
    [JsonPropertyName("clientMsgId")] public string? ClientMsgId { get; set; }
    /// <summary><c>send</c>: optional JSON object for the host's own data.</summary>
    [JsonPropertyName("meta")] public JsonElement? Meta { get; set; }
    /// <summary><c>history</c>: exclusive upper <c>channelSeq</c>.</summary>
    [JsonPropertyName("before")] public long? Before { get; set; }
    /// <summary><c>history</c>/<c>sync</c>: page size.</summary>
    [JsonPropertyName("limit")] public int? Limit { get; set; }
    /// <summary><c>sync</c>: the cursor (exclusive).</summary>
    [JsonPropertyName("after")] public long? After { get; set; }
    /// <summary><c>group.create</c>: the group's name.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary><c>group.create</c>: initial members.</summary>
    [JsonPropertyName("members")] public string[]? Members { get; set; }
    /// <summary><c>group.add</c>/<c>group.remove</c>/<c>presence.*</c>: the users.</summary>
    [JsonPropertyName("users")] public string[]? Users { get; set; }
    /// <summary><c>read</c>: the <c>channelSeq</c> read up to.</summary>
    [JsonPropertyName("upTo")] public long? UpTo { get; set; }
    /// <summary><c>push.*</c>: the push provider (<c>webpush</c>, <c>fcm</c>, <c>apns</c>).</summary>
    [JsonPropertyName("provider")] public string? Provider { get; set; }
    /// <summary><c>push.*</c>: the provider's address for this device.</summary>
    [JsonPropertyName("token")] public string? Token { get; set; }
}
