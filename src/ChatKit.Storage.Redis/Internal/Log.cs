using Microsoft.Extensions.Logging;

namespace ChatKit.Internal;

/// <summary>ChatKit.Storage.Redis's log messages. Endpoints only: never a password, a token or a message body.</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Information, "Connecting to Redis at {Endpoints}.")]
    public static partial void Connecting(ILogger logger, string endpoints);

    [LoggerMessage(102, LogLevel.Warning, "Connecting to Redis failed; retrying in the background.")]
    public static partial void ConnectFailed(ILogger logger, Exception exception);

    [LoggerMessage(103, LogLevel.Warning, "Lost the Redis connection to {Endpoint} ({FailureType}).")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, string failureType);

    [LoggerMessage(104, LogLevel.Information, "Redis connection to {Endpoint} restored.")]
    public static partial void ConnectionRestored(ILogger logger, string endpoint);

    [LoggerMessage(105, LogLevel.Warning, "Fan-out of channel {Channel} failed; it is retried.")]
    public static partial void FanoutFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(106, LogLevel.Warning, "Delivering appended entries live failed; sessions heal from the inbox.")]
    public static partial void ListenerFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Information, "Node instance {Instance} is dead: {Users} users with sessions there and {Slots} fan-out slots taken over.")]
    public static partial void Reaped(ILogger logger, string instance, int users, int slots);

    [LoggerMessage(108, LogLevel.Warning, "Background Redis work failed: {Work}.")]
    public static partial void BackgroundFailed(ILogger logger, string work, Exception exception);

    [LoggerMessage(109, LogLevel.Information, "Leased Snowflake worker id {WorkerId}.")]
    public static partial void WorkerLeased(ILogger logger, int workerId);

    [LoggerMessage(110, LogLevel.Warning, "Lost the Snowflake worker id lease {WorkerId}; new ids wait for a new lease.")]
    public static partial void WorkerLeaseLost(ILogger logger, int workerId);

    [LoggerMessage(111, LogLevel.Warning, "A cross-node bus message could not be read; it is ignored.")]
    public static partial void BadBusMessage(ILogger logger, Exception exception);

    [LoggerMessage(112, LogLevel.Warning, "This node instance was taken for dead; its {Count} sessions were registered again.")]
    public static partial void Reregistered(ILogger logger, int count);
}
