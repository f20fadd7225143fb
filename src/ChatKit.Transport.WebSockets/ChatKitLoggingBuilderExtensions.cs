using ChatKit.Transport.WebSockets.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Logging;

/// <summary>Keeps ChatKit's bearer tokens out of logs.</summary>
public static class ChatKitLoggingBuilderExtensions
{
    /// <summary>
    /// Redacts the value of <c>access_token</c> query parameters (<c>access_token=***</c>) in every log entry of the
    /// host, whatever its category: ASP.NET Core's hosting diagnostics log each request's URL at Information, and a
    /// browser's WebSocket carries its bearer token there (PROTOCOL.md section 1). Entries without a token pass
    /// through unchanged. Safe to call twice.
    /// </summary>
    /// <param name="builder">The host's logging builder (<c>builder.Logging</c>).</param>
    public static ILoggingBuilder AddChatKitTokenRedaction(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        ServiceDescriptor? existing = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory));
        if (existing?.ImplementationFactory?.Target is RedactionMarker)
        {
            return builder;
        }

        var marker = new RedactionMarker(existing);
        services.RemoveAll<ILoggerFactory>();
        services.AddSingleton<ILoggerFactory>(marker.Create);
        return builder;
    }

    private sealed class RedactionMarker(ServiceDescriptor? inner)
    {
        public ILoggerFactory Create(IServiceProvider services)
        {
            ILoggerFactory factory = inner switch
            {
                { ImplementationInstance: ILoggerFactory instance } => instance,
                { ImplementationFactory: { } create } => (ILoggerFactory)create(services),
                { ImplementationType: { } type } => (ILoggerFactory)ActivatorUtilities.CreateInstance(services, type),
                _ => ActivatorUtilities.CreateInstance<LoggerFactory>(services),
            };
            return new TokenRedactingLoggerFactory(factory);
        }
    }
}
