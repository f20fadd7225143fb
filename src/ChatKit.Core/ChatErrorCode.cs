namespace ChatKit;

/// <summary>Why a ChatKit operation was refused (the protocol's error codes, PROTOCOL.md section 2).</summary>
public enum ChatErrorCode
{
    /// <summary><c>bad_request</c>: malformed, or a field out of range.</summary>
    BadRequest,
    /// <summary><c>unauthorized</c>: no authenticated user.</summary>
    Unauthorized,
    /// <summary><c>forbidden</c>: not allowed (for example: not a member).</summary>
    Forbidden,
    /// <summary><c>not_found</c>: no such channel.</summary>
    NotFound,
    /// <summary><c>too_large</c>: a body, meta or frame exceeds its limit.</summary>
    TooLarge,
    /// <summary><c>too_many_members</c>: a group would exceed its member limit.</summary>
    TooManyMembers,
    /// <summary><c>rate_limited</c>: retry after <see cref="ChatException.RetryAfter"/>.</summary>
    RateLimited,
    /// <summary><c>unavailable</c>: storage or a dependency is unreachable.</summary>
    Unavailable,
    /// <summary><c>internal</c>: an unexpected fault.</summary>
    Internal,
}
