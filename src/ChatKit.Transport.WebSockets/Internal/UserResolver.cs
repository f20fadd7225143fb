using System.Security.Claims;
using ChatKit.Protocol;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>Reads the ChatKit user id from the host's authenticated principal.</summary>
internal static class UserResolver
{
    public static string? GetUserId(ClaimsPrincipal? principal, string? claimType)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        string? id = claimType is not null
            ? principal.FindFirst(claimType)?.Value
            : (principal.FindFirst("sub") ?? principal.FindFirst(ClaimTypes.NameIdentifier))?.Value;
        return ProtocolLimits.IsValidUserId(id) ? id : null;
    }
}
