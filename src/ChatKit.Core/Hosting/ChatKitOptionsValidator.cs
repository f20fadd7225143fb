using ChatKit.Ids;
using ChatKit.Protocol;
using Microsoft.Extensions.Options;

namespace ChatKit.Hosting;

/// <summary>Validates <see cref="ChatKitOptions"/> at start, naming the key at fault.</summary>
internal sealed class ChatKitOptionsValidator : IValidateOptions<ChatKitOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatKitOptions options)
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(!string.IsNullOrWhiteSpace(options.NodeId) && options.NodeId.Length <= 64 && ProtocolLimits.IsValidDevice(options.NodeId),
            "ChatKit:NodeId must be 1–64 characters of A–Z a–z 0–9 . _ -.");
        Check(options.PublicUrl is null || Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out _), "ChatKit:PublicUrl must be an absolute URL.");
        Check(options.NodeCapacity > 0, "ChatKit:NodeCapacity must be positive.");
        Check(options.WorkerId is >= 0 and <= SnowflakeIdGenerator.MaxWorkerId, $"ChatKit:WorkerId must be 0–{SnowflakeIdGenerator.MaxWorkerId}.");
        Check(options.HeartbeatInterval >= TimeSpan.FromMilliseconds(100) && options.HeartbeatInterval <= TimeSpan.FromMinutes(10),
            "ChatKit:HeartbeatInterval must be between 100 ms and 10 minutes.");
        Check(options.PresenceGracePeriod >= TimeSpan.Zero && options.PresenceGracePeriod <= TimeSpan.FromMinutes(10),
            "ChatKit:PresenceGracePeriod must be between 0 and 10 minutes.");
        Check(options.PresenceTouchInterval >= TimeSpan.Zero && options.PresenceTouchInterval <= TimeSpan.FromHours(1),
            "ChatKit:PresenceTouchInterval must be between 0 and 1 hour.");
        Check(options.MaxGroupMembers is >= 2 and <= 10_000, "ChatKit:MaxGroupMembers must be 2–10,000.");
        Check(options.MaxBodyChars is >= 1 and <= 1_000_000, "ChatKit:MaxBodyChars must be 1–1,000,000.");
        Check(options.MaxMetaBytes is >= 0 and <= 1_000_000, "ChatKit:MaxMetaBytes must be 0–1,000,000.");
        Check(options.MaxFrameBytes >= 1024 && options.MaxFrameBytes <= 16 * 1024 * 1024, "ChatKit:MaxFrameBytes must be 1 KiB–16 MiB.");
        Check(options.InboxRetentionCount >= 1, "ChatKit:InboxRetentionCount must be at least 1.");
        Check(options.InboxRetentionAge is null || options.InboxRetentionAge > TimeSpan.Zero, "ChatKit:InboxRetentionAge must be positive when set.");
        Check(options.DedupeWindow >= TimeSpan.FromHours(24), "ChatKit:DedupeWindow must be at least 24 hours.");
        Check(options.SessionQueueCapacity is >= 16 and <= 1_000_000, "ChatKit:SessionQueueCapacity must be 16–1,000,000.");
        Check(options.AllowedOrigins is not null, "ChatKit:AllowedOrigins must not be null.");
        Check(options.RateLimit is not null && options.RateLimit.Burst >= 1, "ChatKit:RateLimit:Burst must be at least 1.");
        Check(options.PushActivityGrace >= TimeSpan.Zero, "ChatKit:PushActivityGrace must not be negative.");
        Check(ProtocolLimits.IsValidUserId(options.SystemUserId), "ChatKit:SystemUserId must be a valid user id.");
        Check(options.DrainRetryAfter >= TimeSpan.Zero, "ChatKit:DrainRetryAfter must not be negative.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
