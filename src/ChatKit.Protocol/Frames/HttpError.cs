using System.Text.Json.Serialization;

namespace ChatKit.Protocol.Frames;

/// <summary>The body of an HTTP error (PROTOCOL.md section 8).</summary>
public sealed class HttpError
{
    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    [JsonPropertyName("code")] public string Code { get; set; } = "";
    /// <summary>A sentence for a developer.</summary>
    [JsonPropertyName("message")] public string Message { get; set; } = "";
    /// <summary>For <c>rate_limited</c>: when to retry.</summary>
    [JsonPropertyName("retryAfterMs")] public long? RetryAfterMs { get; set; }
}
