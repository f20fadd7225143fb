using System.Text.Json.Serialization;

namespace ChatKit.Client.Internal;

/// <summary>The body of <c>GET /chatkit/discover</c> (PROTOCOL.md section 8).</summary>
internal sealed class DiscoveryResponse
{
    [JsonPropertyName("url")] public string? Url { get; set; }

    [JsonPropertyName("node")] public string? Node { get; set; }
}
