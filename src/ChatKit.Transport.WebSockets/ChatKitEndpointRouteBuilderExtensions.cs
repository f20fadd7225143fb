using ChatKit.Hosting;
using ChatKit.Transport.WebSockets;
using ChatKit.Transport.WebSockets.Internal;
using ChatKit.Transport.WebSockets.Logging;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps ChatKit's endpoints.</summary>
public static class ChatKitEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the ChatKit WebSocket endpoint at <paramref name="pattern"/> and the HTTP endpoints of PROTOCOL.md
    /// section 8 under it (<c>discover</c>, <c>health</c>, <c>messages</c>, <c>channels/{id}/messages</c>, <c>sync</c>,
    /// <c>logout</c>). Users come from the host's ASP.NET Core authentication; chain <c>RequireAuthorization()</c> to
    /// challenge with the host's scheme instead of ChatKit's own 401.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the <c>WebApplication</c>).</param>
    /// <param name="pattern">The base route. Default <c>/chatkit</c>.</param>
    /// <param name="configure">Sets the endpoint options; may be <see langword="null"/>.</param>
    /// <returns>A builder for conventions that apply to every ChatKit endpoint.</returns>
    /// <exception cref="InvalidOperationException"><c>services.AddChatKit()</c> was not called.</exception>
    public static ChatKitEndpointConventionBuilder MapChatKit(this IEndpointRouteBuilder endpoints, string pattern = "/chatkit", Action<ChatKitEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (endpoints.ServiceProvider.GetService<ChatKitMarkerService>() is null)
        {
            throw new InvalidOperationException(
                "Unable to find the required services. Please add all the required services by calling 'services.AddChatKit()' (IServiceCollection.AddChatKit) in the application startup code before calling 'MapChatKit'.");
        }

        var options = new ChatKitEndpointOptions();
        configure?.Invoke(options);
        ILoggerFactory loggerFactory = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>();
        var transport = new ChatKitTransport(endpoints.ServiceProvider, pattern, options.Clone());
        if (loggerFactory is not TokenRedactingLoggerFactory)
        {
            Log.RedactionNotEnabled(transport.Logger);
        }

        RouteGroupBuilder group = transport.Map(endpoints, loggerFactory);
        ChatKitAccessToken.RegisterMappedPath(pattern);

        // Long polls and WebSockets outlive any request timeout a host may set.
        group.DisableRequestTimeout();
        return new ChatKitEndpointConventionBuilder(group);
    }
}
