using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>A message object as it appears on the wire (PROTOCOL.md section 3).</summary>
public sealed class WireMessage
{
    /// <summary>The 64-bit id as a decimal string.</summary>
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    /// <summary>The channel id.</summary>
    [JsonPropertyName("channel")] public string Channel { get; set; } = "";
    /// <summary>The gap-free position in the channel.</summary>
    [JsonPropertyName("channelSeq")] public long ChannelSeq { get; set; }
    /// <summary>The sender's user id.</summary>
    [JsonPropertyName("from")] public string From { get; set; } = "";
    /// <summary>The sender's device.</summary>
    [JsonPropertyName("device")] public string Device { get; set; } = "";
    /// <summary>The text.</summary>
    [JsonPropertyName("body")] public string Body { get; set; } = "";
    /// <summary>The host's optional JSON object.</summary>
    [JsonPropertyName("meta")] public JsonElement? Meta { get; set; }
    /// <summary>The sender's idempotency key.</summary>
    [JsonPropertyName("clientMsgId")] public string ClientMsgId { get; set; } = "";
    /// <summary>The server's clock at commit, Unix milliseconds.</summary>
    [JsonPropertyName("sentAt")] public long SentAt { get; set; }
}
