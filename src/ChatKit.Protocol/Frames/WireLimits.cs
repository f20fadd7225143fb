using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>The limits announced in <c>welcome</c>.</summary>
public sealed class WireLimits
{
    /// <summary>Largest WebSocket message the server accepts, in bytes.</summary>
    [JsonPropertyName("maxFrameBytes")] public int MaxFrameBytes { get; set; }
    /// <summary>Longest message body, in UTF-16 code units.</summary>
    [JsonPropertyName("maxBodyChars")] public int MaxBodyChars { get; set; }
    /// <summary>Most members of one group, the creator included.</summary>
    [JsonPropertyName("maxGroupMembers")] public int MaxGroupMembers { get; set; }
}
