namespace ChatKit.Client;

/// <summary>
/// Exponential backoff with full jitter for automatic reconnects: before attempt <c>n</c> (0-based) the client
/// waits a uniformly random delay between <see cref="MinDelay"/> and
/// <c>min(MaxDelay, MinDelay × 2^(n+1))</c>, so that thousands of clients dropped by one node do not come back
/// in lockstep.
/// </summary>
public class ChatReconnectPolicy
{
    /// <summary>The shortest delay and the base of the exponent. Default 250 ms.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many failed attempts in a row end reconnecting (the client then stays disconnected);
    /// <see langword="null"/> (the default) retries for ever.
    /// </summary>
    public int? MaxAttempts { get; set; }

    /// <summary>The delay before a reconnect attempt.</summary>
    /// <param name="attempt">The 0-based number of the attempt since the connection was lost.</param>
    /// <param name="random">The source of jitter.</param>
    public virtual TimeSpan GetDelay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double min = Math.Max(0, MinDelay.TotalMilliseconds);
        double max = Math.Max(min, MaxDelay.TotalMilliseconds);
        double cap = Math.Min(max, min * Math.Pow(2, Math.Clamp(attempt, 0, 30) + 1));
        return TimeSpan.FromMilliseconds(min + (random.NextDouble() * (cap - min)));
    }
}
