namespace ChatKit.Storage.LiteDb.Hosting;

/// <summary>
/// Options of the LiteDB store. Validated when the host starts (an invalid value stops it with a message naming the
/// key).
/// </summary>
public sealed class LiteDbStorageOptions
{
    /// <summary>
    /// The database file. A relative path is resolved against the working directory. Next to it LiteDB keeps its
    /// write-ahead log (<c>NAME-log.EXT</c>) and ChatKit a lock file (<c>NAME.EXT.lock</c>). Default <c>chatkit.db</c>.
    /// </summary>
    public string Path { get; set; } = "chatkit.db";

    /// <summary>
    /// Most writes (sends, read marks, membership changes) committed together in one batch: one journal append (and,
    /// for push tokens, one LiteDB transaction). Writes that arrive while a batch runs share the next one, so that
    /// throughput is not bounded by one commit per message. Default 256.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Writes that may wait for the writer; more make callers wait for room (back-pressure). Default 8,192.
    /// </summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// How long committed writes may stay only in the journal before they are folded into the indexed layout
    /// (history, inbox and dedupe blocks). They are durable either way; folding many writes at once is what makes a
    /// busy inbox cost one document write per interval instead of one per message. Longer intervals write less and
    /// hold more in memory. Default 2 s.
    /// </summary>
    public TimeSpan MaterializeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pending messages, inbox entries and other rows above which the writer folds the journal into the layout
    /// before <see cref="MaterializeInterval"/> has passed. It also bounds the memory that pending writes hold (about
    /// 100 bytes each, plus message bodies): past twice this many, new writes wait until the maintenance thread has
    /// caught up. Default 200,000.
    /// </summary>
    public int MaterializeAfterEntries { get; set; } = 200_000;

    /// <summary>
    /// Size of the write-ahead log, in bytes, above which the writer copies it into the database file and truncates
    /// it even if readers are active (LiteDB's own checkpoint gives way to readers). Default 64 MiB.
    /// </summary>
    public long CheckpointLogBytes { get; set; } = 64L * 1024 * 1024;
}
