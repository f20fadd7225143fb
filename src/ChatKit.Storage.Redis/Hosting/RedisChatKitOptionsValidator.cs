using Microsoft.Extensions.Options;

namespace ChatKit.Hosting;

/// <summary>Validates <see cref="RedisChatKitOptions"/> at start, naming the key at fault.</summary>
internal sealed class RedisChatKitOptionsValidator(RedisConnectionFactory? factory = null) : IValidateOptions<RedisChatKitOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisChatKitOptions options)
    {
        var errors = new List<string>();
        if (factory is null && string.IsNullOrWhiteSpace(options.Configuration))
        {
            errors.Add("ChatKit:Redis:Configuration must be set (for example 'localhost:6379'), or pass a connection factory to AddRedis.");
        }

        if (options.KeyPrefix is null || options.KeyPrefix.Contains('{', StringComparison.Ordinal) || options.KeyPrefix.Contains('}', StringComparison.Ordinal))
        {
            errors.Add("ChatKit:Redis:KeyPrefix must not be null or contain '{' or '}' (they would break the Redis Cluster hash tags).");
        }

        if (options.NodeTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add("ChatKit:Redis:NodeTimeout must be at least 1 second.");
        }

        if (options.BeatInterval <= TimeSpan.Zero || options.BeatInterval * 3 > options.NodeTimeout)
        {
            errors.Add("ChatKit:Redis:BeatInterval must be positive and at most a third of NodeTimeout.");
        }

        if (options.FanoutLockTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add("ChatKit:Redis:FanoutLockTimeout must be at least 1 second.");
        }

        if (options.FanoutBatchSize is < 1 or > 1000)
        {
            errors.Add("ChatKit:Redis:FanoutBatchSize must be 1–1,000.");
        }

        if (options.SynchronousFanoutWait < TimeSpan.Zero)
        {
            errors.Add("ChatKit:Redis:SynchronousFanoutWait must not be negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
