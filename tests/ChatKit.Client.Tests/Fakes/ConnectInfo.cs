namespace ChatKit.Client.Tests.Fakes;

/// <summary>What a client sent with its WebSocket upgrade.</summary>
internal sealed record ConnectInfo(
    string Device, long? After, string? QueryToken, string? AuthorizationHeader, string[] SubProtocols, DateTimeOffset At);
