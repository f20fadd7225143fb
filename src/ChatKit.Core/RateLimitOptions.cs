namespace ChatKit;

/// <summary>A token bucket per user for <c>send</c>, <c>typing</c> and group changes.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Tokens added per second. Default 20. Zero or less disables the limit.</summary>
    public double PermitsPerSecond { get; set; } = 20;

    /// <summary>Bucket size: how many requests may come at once after a quiet time. Default 40.</summary>
    public int Burst { get; set; } = 40;
}
