namespace ChatKit.Fanout;

/// <summary>How a fan-out run of one channel's job queue ended.</summary>
internal enum FanoutOutcome
{
    /// <summary>The queue was emptied (by this run or before it).</summary>
    Completed,

    /// <summary>Another worker owns the queue and continues it.</summary>
    HeldByOther,

    /// <summary>Redis failed; the channel is retried in the background.</summary>
    Failed,
}
