using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ChatKit.Limits;

/// <summary>
/// A token bucket per user (PROTOCOL.md section 7). Buckets of users who have been quiet long enough to be full
/// again are dropped by <see cref="Prune"/>, so memory follows active users, not all users ever seen.
/// </summary>
internal sealed class UserRateLimiter
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly double _rate;
    private readonly double _burst;

    public UserRateLimiter(TimeProvider clock, IOptions<ChatKitOptions> options)
    {
        _clock = clock;
        _rate = options.Value.RateLimit.PermitsPerSecond;
        _burst = Math.Max(1, options.Value.RateLimit.Burst);
    }

    public bool Enabled => _rate > 0;

    /// <summary>Takes one token; when none is left returns <see langword="false"/> and how long until one is.</summary>
    public bool TryAcquire(string user, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!Enabled)
        {
            return true;
        }

        long now = _clock.GetTimestamp();
        Bucket bucket = _buckets.GetOrAdd(user, static (_, s) => new Bucket(s.burst, s.now), (burst: _burst, now));
        lock (bucket)
        {
            bucket.Refill(now, _rate, _burst, _clock.TimestampFrequency);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / _rate);
            return false;
        }
    }

    /// <summary>Drops full buckets; a later request recreates them full, which is the same state.</summary>
    public int Prune()
    {
        long now = _clock.GetTimestamp();
        int removed = 0;
        foreach (KeyValuePair<string, Bucket> pair in _buckets)
        {
            lock (pair.Value)
            {
                pair.Value.Refill(now, _rate, _burst, _clock.TimestampFrequency);
                if (pair.Value.Tokens >= _burst && _buckets.TryRemove(pair))
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    public int Count => _buckets.Count;

    private sealed class Bucket(double tokens, long at)
    {
        public double Tokens { get; set; } = tokens;

        public void Refill(long now, double rate, double burst, long frequency)
        {
            if (now > at)
            {
                Tokens = Math.Min(burst, Tokens + ((now - at) * rate / frequency));
                at = now;
            }
        }
    }
}
