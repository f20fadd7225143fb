using System.Security.Claims;
using System.Text.Json;
using ChatKit.Protocol;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatKit.Samples.Server;

/// <summary>The development login (PROTOCOL.md section 9): signs a bearer token for any valid user id. Mapped only in Development.</summary>
public sealed class DevTokenIssuer
{
    private readonly SigningCredentials _credentials;
    private readonly string _issuer;
    private readonly string _audience;
    private readonly TimeSpan _lifetime;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Creates the issuer.</summary>
    /// <param name="key">The HMAC key the server validates with.</param>
    /// <param name="issuer">The token issuer.</param>
    /// <param name="audience">The token audience.</param>
    /// <param name="lifetime">How long a token is valid.</param>
    public DevTokenIssuer(SymmetricSecurityKey key, string issuer, string audience, TimeSpan lifetime)
    {
        _credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _issuer = issuer;
        _audience = audience;
        _lifetime = lifetime;
    }

    /// <summary>A signed token whose <c>sub</c> is <paramref name="user"/>.</summary>
    /// <param name="user">A valid ChatKit user id.</param>
    public string Issue(string user)
    {
        DateTime now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", user), new Claim("name", user)]),
            Issuer = _issuer,
            Audience = _audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _lifetime,
            SigningCredentials = _credentials,
        });
    }

    internal static async Task HandleAsync(HttpContext context)
    {
        DevTokenIssuer issuer = context.RequestServices.GetRequiredService<DevTokenIssuer>();
        string? user = null;
        try
        {
            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            if (body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("user", out JsonElement u) && u.ValueKind == JsonValueKind.String)
            {
                user = u.GetString();
            }
        }
        catch (JsonException)
        {
        }

        if (!ProtocolLimits.IsValidUserId(user))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                ["code"] = ErrorCodes.BadRequest,
                ["message"] = "Send {\"user\":\"alice\"}: a user id of 1–64 characters of A–Z a–z 0–9 . _ - @ +.",
            }).ConfigureAwait(false);
            return;
        }

        await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["token"] = issuer.Issue(user!) }).ConfigureAwait(false);
    }
}
