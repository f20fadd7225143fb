using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Hosting;

/// <summary>What <c>AddChatKit()</c> returns: adapter packages extend it (<c>.AddLiteDbStorage()</c>, <c>.AddRedis()</c>, …).</summary>
public interface IChatKitBuilder
{
    /// <summary>The service collection ChatKit registers into.</summary>
    IServiceCollection Services { get; }
}
