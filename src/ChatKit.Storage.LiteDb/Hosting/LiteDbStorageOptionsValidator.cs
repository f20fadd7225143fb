using Microsoft.Extensions.Options;

namespace ChatKit.Storage.LiteDb.Hosting;

/// <summary>Validates <see cref="LiteDbStorageOptions"/> at start, naming the key at fault.</summary>
internal sealed class LiteDbStorageOptionsValidator : IValidateOptions<LiteDbStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, LiteDbStorageOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            errors.Add("ChatKit:LiteDb:Path must name a file.");
        }

        if (options.MaxBatchSize is < 1 or > 100_000)
        {
            errors.Add("ChatKit:LiteDb:MaxBatchSize must be 1–100,000.");
        }

        if (options.QueueCapacity is < 1 or > 10_000_000)
        {
            errors.Add("ChatKit:LiteDb:QueueCapacity must be 1–10,000,000.");
        }

        if (options.MaterializeInterval <= TimeSpan.Zero || options.MaterializeInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add("ChatKit:LiteDb:MaterializeInterval must be more than zero and at most 10 minutes.");
        }

        if (options.MaterializeAfterEntries is < 1 or > 100_000_000)
        {
            errors.Add("ChatKit:LiteDb:MaterializeAfterEntries must be 1–100,000,000.");
        }

        if (options.CheckpointLogBytes < 1024 * 1024)
        {
            errors.Add("ChatKit:LiteDb:CheckpointLogBytes must be at least 1 MiB.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
