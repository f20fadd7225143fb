namespace ChatKit.Protocol;

/// <summary>WebSocket close codes used by the protocol (PROTOCOL.md sections 2, 5, 6 and 7).</summary>
public static class CloseCodes
{
    /// <summary>Normal closure: presence ends at once.</summary>
    public const int Normal = 1000;
    /// <summary>Going away (tab closed): presence ends at once.</summary>
    public const int GoingAway = 1001;
    /// <summary>A binary message was received.</summary>
    public const int UnsupportedData = 1003;
    /// <summary>Policy violation: too many bad frames in a row, or abuse.</summary>
    public const int PolicyViolation = 1008;
    /// <summary>A message was larger than <c>maxFrameBytes</c>.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>The node is restarting or draining; reconnect elsewhere with the cursor.</summary>
    public const int ServiceRestart = 1012;
    /// <summary>The session was silent for three heartbeat intervals.</summary>
    public const int HeartbeatTimeout = 4000;
    /// <summary>The authentication expired.</summary>
    public const int AuthenticationExpired = 4001;
    /// <summary>The session could not keep up with its outgoing queue.</summary>
    public const int SlowConsumer = 4009;
}
