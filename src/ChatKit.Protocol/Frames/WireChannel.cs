using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>A channel as listed by <c>channels</c> and returned by the group requests.</summary>
public sealed class WireChannel
{
    /// <summary>The channel id.</summary>
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    /// <summary><c>direct</c> or <c>group</c>.</summary>
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    /// <summary>The group's name (for a direct channel: the other user's id).</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary>The member user ids.</summary>
    [JsonPropertyName("members")] public string[] Members { get; set; } = [];
    /// <summary>The group's owner; <see langword="null"/> for a direct channel.</summary>
    [JsonPropertyName("owner")] public string? Owner { get; set; }
    /// <summary>The newest <c>channelSeq</c>.</summary>
    [JsonPropertyName("lastSeq")] public long LastSeq { get; set; }
    /// <summary>The caller's read mark.</summary>
    [JsonPropertyName("readSeq")] public long ReadSeq { get; set; }
    /// <summary>Messages after <see cref="ReadSeq"/> not sent by the caller.</summary>
    [JsonPropertyName("unread")] public long Unread { get; set; }
    /// <summary>The newest message, if any.</summary>
    [JsonPropertyName("lastMessage")] public WireMessage? LastMessage { get; set; }
}
