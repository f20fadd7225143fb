using ChatKit.Protocol;

namespace ChatKit;

/// <summary>A refused ChatKit operation. Nothing was changed.</summary>
public sealed class ChatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">Why.</param>
    /// <param name="message">A sentence for a developer (no user content).</param>
    /// <param name="retryAfter">For <see cref="ChatErrorCode.RateLimited"/>: when to retry.</param>
    public ChatException(ChatErrorCode code, string message, TimeSpan? retryAfter = null)
        : base(message)
    {
        Code = code;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an <see cref="ChatErrorCode.Internal"/> exception.</summary>
    public ChatException()
        : this(ChatErrorCode.Internal, "Internal error.")
    {
    }

    /// <summary>Creates an <see cref="ChatErrorCode.Internal"/> exception.</summary>
    /// <param name="message">The message.</param>
    public ChatException(string message)
        : this(ChatErrorCode.Internal, message)
    {
    }

    /// <summary>Creates an <see cref="ChatErrorCode.Internal"/> exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ChatErrorCode.Internal;
    }

    /// <summary>Why.</summary>
    public ChatErrorCode Code { get; }

    /// <summary>For <see cref="ChatErrorCode.RateLimited"/>: when to retry.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The protocol's code string (<c>bad_request</c>, …).</summary>
    public string WireCode => ToWire(Code);

    /// <summary>The protocol's code string for <paramref name="code"/>.</summary>
    /// <param name="code">The code.</param>
    public static string ToWire(ChatErrorCode code) => code switch
    {
        ChatErrorCode.BadRequest => ErrorCodes.BadRequest,
        ChatErrorCode.Unauthorized => ErrorCodes.Unauthorized,
        ChatErrorCode.Forbidden => ErrorCodes.Forbidden,
        ChatErrorCode.NotFound => ErrorCodes.NotFound,
        ChatErrorCode.TooLarge => ErrorCodes.TooLarge,
        ChatErrorCode.TooManyMembers => ErrorCodes.TooManyMembers,
        ChatErrorCode.RateLimited => ErrorCodes.RateLimited,
        ChatErrorCode.Unavailable => ErrorCodes.Unavailable,
        _ => ErrorCodes.Internal,
    };
}
