using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>One user's presence, in a <c>presence.sub</c> reply.</summary>
public sealed class WirePresence
{
    /// <summary>The user id.</summary>
    [JsonPropertyName("user")] public string User { get; set; } = "";
    /// <summary><c>online</c> or <c>offline</c>.</summary>
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    /// <summary>Last time any session of the user sent a frame, Unix milliseconds; 0 when never seen.</summary>
    [JsonPropertyName("lastActiveAt")] public long LastActiveAt { get; set; }
}
