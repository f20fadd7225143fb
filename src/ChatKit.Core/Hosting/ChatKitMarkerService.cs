namespace ChatKit.Hosting;

/// <summary>Registered by <c>AddChatKit()</c> so that <c>MapChatKit()</c> can tell it was called.</summary>
public sealed class ChatKitMarkerService
{
}
