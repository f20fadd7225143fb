namespace ChatKit.Fanout;

/// <summary>How a session's connection ended, which decides when its device's presence ends (PROTOCOL.md section 6).</summary>
public enum SessionCloseKind
{
    /// <summary>A close frame (1000/1001), a logout, or the server's own close: presence ends at once.</summary>
    Clean = 0,

    /// <summary>The connection dropped without a close frame: presence ends after the grace period.</summary>
    Dropped = 1,
}
