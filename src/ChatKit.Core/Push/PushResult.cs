namespace ChatKit.Push;

/// <summary>What a provider said about one notification.</summary>
public enum PushResult
{
    /// <summary>Accepted.</summary>
    Delivered = 0,

    /// <summary>The token is gone (HTTP 404/410 or the provider's equivalent): it is removed.</summary>
    InvalidToken = 1,

    /// <summary>A transient failure: retried with backoff.</summary>
    RetryLater = 2,
}
