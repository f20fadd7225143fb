namespace ChatKit.Messaging;

/// <summary>An <see cref="IMessageFilter"/>'s verdict.</summary>
public readonly record struct MessageFilterResult
{
    private MessageFilterResult(bool accepted, ChatErrorCode code, string? reason)
    {
        Accepted = accepted;
        Code = code;
        Reason = reason;
    }

    /// <summary>Commit the message (possibly rewritten).</summary>
    public static MessageFilterResult Accept { get; } = new(true, ChatErrorCode.Forbidden, null);

    /// <summary>Whether the message may be committed.</summary>
    public bool Accepted { get; }

    /// <summary>The error code the sender gets when rejected.</summary>
    public ChatErrorCode Code { get; }

    /// <summary>The sentence the sender gets when rejected.</summary>
    public string? Reason { get; }

    /// <summary>Refuse the message; nothing is stored or delivered.</summary>
    /// <param name="reason">A sentence for the sender.</param>
    /// <param name="code">The error code (default <see cref="ChatErrorCode.Forbidden"/>).</param>
    public static MessageFilterResult Reject(string reason, ChatErrorCode code = ChatErrorCode.Forbidden) => new(false, code, reason);
}
