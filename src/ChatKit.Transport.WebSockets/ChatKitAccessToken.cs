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
    private static readonly List<PathString> MappedPaths = [];

    /// <summary>The query parameter's name.</summary>
    public const string QueryParameterName = "access_token";

    /// <summary>
    /// The token of the request's <c>access_token</c> query parameter when the request is for a ChatKit endpoint and
    /// carries no <c>Authorization</c> header; otherwise <see langword="null"/>. The endpoint is known from routing;
    /// when authentication runs before routing, a path under one mapped by <c>MapChatKit</c> counts.
    /// </summary>
    /// <param name="request">The request (after routing, as in authentication handlers).</param>
    public static string? FromQuery(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.Authorization.Count > 0)
        {
            return null;
        }

        Endpoint? endpoint = request.HttpContext.GetEndpoint();
        bool forChatKit = endpoint is not null
            ? endpoint.Metadata.GetMetadata<ChatKitEndpointMetadata>() is not null
            : IsUnderMappedPath(request.Path); // authentication ran before routing: fall back to the mapped paths
        if (!forChatKit)
        {
            return null;
        }

        string? token = request.Query[QueryParameterName];
        return string.IsNullOrEmpty(token) ? null : token;
    }

    internal static void RegisterMappedPath(string pattern)
    {
        lock (MappedPaths)
        {
            var path = new PathString("/" + pattern.Trim('/'));
            if (!MappedPaths.Contains(path))
            {
                MappedPaths.Add(path);
            }
        }
    }

    private static bool IsUnderMappedPath(PathString path)
    {
        lock (MappedPaths)
        {
            foreach (PathString mapped in MappedPaths)
            {
                if (path.StartsWithSegments(mapped, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
