using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>The transport's log messages. Never a token, a URL query or a message body.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Session {SessionId} of user {User} device {Device} opened.")]
    public static partial void SessionOpened(ILogger logger, string sessionId, string user, string device);

    [LoggerMessage(2, LogLevel.Debug, "Session {SessionId} closed ({Kind}, code {Code}).")]
    public static partial void SessionClosed(ILogger logger, string sessionId, string kind, int? code);

    [LoggerMessage(3, LogLevel.Error, "Unexpected error handling a {FrameType} request of session {SessionId}.")]
    public static partial void RequestFailed(ILogger logger, string frameType, string sessionId, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Session {SessionId} sent {Count} bad frames in a row; closing it with 1008.")]
    public static partial void TooManyBadFrames(ILogger logger, string sessionId, int count);

    [LoggerMessage(5, LogLevel.Warning, "Session {SessionId} could not keep up with its outgoing queue; closed with 4009.")]
    public static partial void SlowConsumer(ILogger logger, string sessionId);

    [LoggerMessage(6, LogLevel.Information, "Draining: asked {Count} sessions to reconnect elsewhere.")]
    public static partial void Draining(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Warning, "Draining timed out with {Count} connections still open.")]
    public static partial void DrainTimedOut(ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Error, "Unexpected error in a ChatKit HTTP endpoint.")]
    public static partial void HttpRequestFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning,
        "Token redaction is not enabled: request logs may show access_token query parameters. Call builder.Logging.AddChatKitTokenRedaction().")]
    public static partial void RedactionNotEnabled(ILogger logger);

    [LoggerMessage(10, LogLevel.Debug, "WebSocket error on session {SessionId}.")]
    public static partial void SocketError(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(11, LogLevel.Error, "Unexpected error on the connection of session {SessionId}.")]
    public static partial void ConnectionFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(12, LogLevel.Information, "ChatKit's socket listener is accepting WebSockets on {EndPoint}.")]
    public static partial void SocketListenerStarted(ILogger logger, string endPoint);

    [LoggerMessage(13, LogLevel.Warning, "ChatKit's socket listener on {EndPoint} could not accept a connection; retrying.")]
    public static partial void AcceptFailed(ILogger logger, string endPoint, Exception exception);

    [LoggerMessage(14, LogLevel.Error, "Unexpected error on a connection of ChatKit's socket listener.")]
    public static partial void ListenerConnectionFailed(ILogger logger, Exception exception);
}
