namespace ChatKit.Transport.WebSockets;

/// <summary>Marks the endpoints mapped by <c>MapChatKit()</c> (for example so that <see cref="ChatKitAccessToken"/> reads query tokens only there).</summary>
public sealed class ChatKitEndpointMetadata
{
    internal ChatKitEndpointMetadata(string pattern)
    {
        Pattern = pattern;
    }

    /// <summary>The base route the endpoints were mapped under (for example <c>/chatkit</c>).</summary>
    public string Pattern { get; }
}
