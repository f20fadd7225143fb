namespace ChatKit.Protocol;

/// <summary>The <c>code</c> values of an error frame (PROTOCOL.md section 2) and their HTTP statuses (section 8).</summary>
public static class ErrorCodes
{
    /// <summary>The request is malformed or a field is out of range.</summary>
    public const string BadRequest = "bad_request";
    /// <summary>No authenticated user.</summary>
    public const string Unauthorized = "unauthorized";
    /// <summary>The user may not do this (for example: not a member).</summary>
    public const string Forbidden = "forbidden";
    /// <summary>The channel or user does not exist.</summary>
    public const string NotFound = "not_found";
    /// <summary>A body, meta or frame exceeds its limit.</summary>
    public const string TooLarge = "too_large";
    /// <summary>A group would exceed <c>maxGroupMembers</c>.</summary>
    public const string TooManyMembers = "too_many_members";
    /// <summary>The user's send rate limit is exhausted; see <c>retryAfterMs</c>.</summary>
    public const string RateLimited = "rate_limited";
    /// <summary>Storage or a dependency is unreachable; retry later.</summary>
    public const string Unavailable = "unavailable";
    /// <summary>An unexpected server fault.</summary>
    public const string Internal = "internal";

    /// <summary>The HTTP status that PROTOCOL.md section 8 gives for an error code.</summary>
    /// <param name="code">One of the codes of this class.</param>
    public static int ToHttpStatus(string code) => code switch
    {
        BadRequest => 400,
        Unauthorized => 401,
        Forbidden => 403,
        NotFound => 404,
        TooManyMembers => 409,
        TooLarge => 413,
        RateLimited => 429,
        Unavailable => 503,
        _ => 500,
    };
}
