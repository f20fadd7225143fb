namespace ChatKit.Messaging;

/// <summary>
/// A message about to be committed, as an <see cref="IMessageFilter"/> sees it. A filter may rewrite
/// <see cref="Body"/> and <see cref="MetaJson"/>; the result is validated again against the size limits.
/// </summary>
public sealed class MessageFilterContext
{
    internal MessageFilterContext(string from, string device, string channelId, string body, string? metaJson)
    {
        From = from;
        Device = device;
        ChannelId = channelId;
        Body = body;
        MetaJson = metaJson;
    }

    /// <summary>The sender.</summary>
    public string From { get; }

    /// <summary>The sender's device.</summary>
    public string Device { get; }

    /// <summary>The channel.</summary>
    public string ChannelId { get; }

    /// <summary>The text; a filter may replace it.</summary>
    public string Body { get; set; }

    /// <summary>The host's JSON object as text, or <see langword="null"/>; a filter may replace it.</summary>
    public string? MetaJson { get; set; }
}
