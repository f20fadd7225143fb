using Microsoft.AspNetCore.Http;

namespace ChatKit.Transport.WebSockets;

/// <summary>
/// The bearer token of the <c>access_token</c> query parameter (PROTOCOL.md section 1: a browser cannot set headers
/// on a WebSocket). Wire it into the host's bearer authentication, for example JwtBearer:
/// <code>
/// o.Events = new JwtBearerEvents { OnMessageReceived = ctx => { ctx.Token ??= ChatKitAccessToken.FromQuery(ctx.Request); return Task.CompletedTask; } };
/// </code>
/// The query is read only for ChatKit's own endpoints and only when no <c>Authorization</c> header is present, so
/// that tokens in URLs stay confined to the one place that needs them. Use
/// <c>builder.Logging.AddChatKitTokenRedaction()</c> so that request logs never show them.
/// </summary>
public static class ChatKitAccessToken
{
    /// <summary>The query parameter's name.</summary>
    public const string QueryParameterName = "access_token";

    /// <summary>
    /// The token of the request's <c>access_token</c> query parameter when the request is for a ChatKit endpoint and
    /// carries no <c>Authorization</c> header; otherwise <see langword="null"/>.
    /// </summary>
    /// <param name="request">The request (after routing, as in authentication handlers).</param>
    public static string? FromQuery(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.Authorization.Count > 0)
        {
            return null;
        }

        if (request.HttpContext.GetEndpoint()?.Metadata.GetMetadata<ChatKitEndpointMetadata>() is null)
        {
            return null;
        }

        string? token = request.Query[QueryParameterName];
        return string.IsNullOrEmpty(token) ? null : token;
    }
}
