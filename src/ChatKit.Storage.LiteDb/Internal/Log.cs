using Microsoft.Extensions.Logging;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>The LiteDB store's log messages. Never a token or message body.</summary>
internal static partial class Log
{
    [LoggerMessage(4001, LogLevel.Information, "Opened the LiteDB database {Path} in {ElapsedMs} ms.")]
    public static partial void Opened(ILogger logger, string path, long elapsedMs);

    [LoggerMessage(4002, LogLevel.Warning, "A LiteDB write batch of {Count} failed and was rolled back; its writes are retried one by one.")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(4003, LogLevel.Information, "Checkpointed the LiteDB write-ahead log of {Path} ({LogBytes} bytes) in {ElapsedMs} ms, after waiting {GateWaitMs} ms for the reads in progress (new reads of the file wait for both).")]
    public static partial void Checkpointed(ILogger logger, string path, long logBytes, long elapsedMs, long gateWaitMs);

    [LoggerMessage(4006, LogLevel.Debug, "Maintenance of {Path} (folding pending writes into the layout) took {ElapsedMs} ms; its commit held the file {CommitMs} ms.")]
    public static partial void Maintained(ILogger logger, string path, long elapsedMs, long commitMs);

    [LoggerMessage(4004, LogLevel.Error, "Unexpected error in the LiteDB writer.")]
    public static partial void WriterFailed(ILogger logger, Exception exception);

    [LoggerMessage(4005, LogLevel.Information, "Closed the LiteDB database {Path}.")]
    public static partial void Closed(ILogger logger, string path);
}
