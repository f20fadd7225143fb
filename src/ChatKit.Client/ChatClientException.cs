using ChatKit.Protocol;

namespace ChatKit.Client;

/// <summary>
/// A request failed with a protocol error (PROTOCOL.md section 2), or the connection could not be opened or was
/// lost where a retry would not be safe. <see cref="Code"/> is one of <see cref="ErrorCodes"/>.
/// </summary>
public sealed class ChatClientException : Exception
{
    /// <summary>Creates an exception with the given code.</summary>
    /// <param name="code">One of <see cref="ErrorCodes"/>.</param>
    /// <param name="message">The description.</param>
    /// <param name="retryAfter">For <c>rate_limited</c>: when a retry may succeed.</param>
    /// <param name="innerException">The cause.</param>
    public ChatClientException(string code, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an <c>internal</c> exception (for serializers and tooling).</summary>
    public ChatClientException()
        : this(ErrorCodes.Internal, "ChatKit client error.")
    {
    }

    /// <summary>Creates an <c>internal</c> exception with a message.</summary>
    /// <param name="message">The description.</param>
    public ChatClientException(string message)
        : this(ErrorCodes.Internal, message)
    {
    }

    /// <summary>Creates an <c>internal</c> exception with a message and a cause.</summary>
    /// <param name="message">The description.</param>
    /// <param name="innerException">The cause.</param>
    public ChatClientException(string message, Exception innerException)
        : this(ErrorCodes.Internal, message, null, innerException)
    {
    }

    /// <summary>The protocol error code, one of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>For <c>rate_limited</c> (and a refused upgrade with <c>Retry-After</c>): when to retry.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>When the WebSocket upgrade was refused: the HTTP status (401, 403, 400, 503…).</summary>
    public int? HttpStatusCode { get; init; }
}
