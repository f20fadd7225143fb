using Microsoft.Extensions.Logging;

namespace ChatKit.Internal;

/// <summary>ChatKit.Core's log messages. Never a token, password or message body.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Publishing to the cross-node bus failed; sessions on other nodes heal from the inbox.")]
    public static partial void BusPublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Writing presence failed.")]
    public static partial void PresenceWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Closed {Count} sessions silent for three heartbeat intervals.")]
    public static partial void SilentSessionsClosed(ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Warning, "Push to {Provider} failed for user {User}; attempt {Attempt}.")]
    public static partial void PushFailed(ILogger logger, string provider, string user, int attempt, Exception? exception);

    [LoggerMessage(5, LogLevel.Information, "Removed push token of user {User} device {Device}: the provider called it invalid.")]
    public static partial void PushTokenRemoved(ILogger logger, string user, string device);

    [LoggerMessage(6, LogLevel.Warning, "The push queue is full; a notification for user {User} was dropped.")]
    public static partial void PushQueueFull(ILogger logger, string user);

    [LoggerMessage(7, LogLevel.Warning, "Registering this node for discovery failed.")]
    public static partial void NodeHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "ChatKit node {NodeId} started.")]
    public static partial void NodeStarted(ILogger logger, string nodeId);

    [LoggerMessage(9, LogLevel.Error, "Unexpected error in ChatKit background work: {Work}.")]
    public static partial void BackgroundFailed(ILogger logger, string work, Exception exception);
}
