namespace ChatKit.Transport.WebSockets;

/// <summary>
/// Options of the endpoints that <c>MapChatKit()</c> maps. The chat's own limits (frame size, heartbeats, allowed
/// origins, …) are in <see cref="ChatKitOptions"/>; these are about how the transport meets ASP.NET Core.
/// </summary>
public sealed class ChatKitEndpointOptions
{
    /// <summary>
    /// The claim that holds the ChatKit user id. Default <see langword="null"/>: the <c>sub</c> claim, then
    /// <see cref="System.Security.Claims.ClaimTypes.NameIdentifier"/> (JwtBearer maps <c>sub</c> to it by default).
    /// </summary>
    public string? UserIdClaimType { get; set; }

    /// <summary>
    /// How long the server waits for the client's close frame (or for a blocked write to finish) after it decided
    /// to close a connection, before it aborts the connection. Default 5 s.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On graceful shutdown, how long the host waits for its WebSocket connections to close after it sent them
    /// <c>drain</c> and close 1012. Default 10 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether a WebSocket is closed with 4001 (authentication expired) when the authentication it was opened with
    /// expires (<c>AuthenticationProperties.ExpiresUtc</c>, which JwtBearer sets from the token's <c>exp</c>). The
    /// client reconnects with a fresh token and its cursor. Default <see langword="true"/>.
    /// </summary>
    public bool CloseOnAuthenticationExpiration { get; set; } = true;

    internal ChatKitEndpointOptions Clone() => new()
    {
        UserIdClaimType = UserIdClaimType,
        CloseOnAuthenticationExpiration = CloseOnAuthenticationExpiration,
        CloseTimeout = CloseTimeout,
        DrainTimeout = DrainTimeout,
    };
}
