using Microsoft.AspNetCore.Http;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>
/// Which browser origins may use the endpoints (cross-site WebSocket hijacking, PROTOCOL.md section 1): a request
/// without <c>Origin</c> (not a browser) is allowed; an origin whose host and port are the request's own is allowed;
/// otherwise the origin must be listed in <see cref="ChatKitOptions.AllowedOrigins"/> (scheme, host and port,
/// compared without case and without a trailing slash), or the list must hold <c>*</c>.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;
    private readonly bool _any;

    public OriginPolicy(IEnumerable<string> allowedOrigins)
    {
        _allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string origin in allowedOrigins)
        {
            string o = origin.Trim().TrimEnd('/');
            if (o == "*")
            {
                _any = true;
            }
            else if (o.Length > 0)
            {
                _allowed.Add(o);
            }
        }
    }

    public bool IsAllowed(HttpRequest request)
    {
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin) || _any)
        {
            return true;
        }

        origin = origin.TrimEnd('/');
        if (_allowed.Contains(origin))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            && request.Host.HasValue
            && SameAuthority(uri, request.Host);
    }

    private static bool SameAuthority(Uri origin, HostString host)
    {
        if (!string.Equals(origin.IdnHost, host.Host, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(origin.Host, host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // A Host header without a port means the scheme's default port.
        int hostPort = host.Port ?? (origin.Scheme is "https" or "wss" ? 443 : 80);
        return origin.Port == hostPort;
    }
}
