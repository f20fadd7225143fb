using Microsoft.AspNetCore.Builder;

namespace ChatKit.Transport.WebSockets;

/// <summary>
/// What <c>MapChatKit()</c> returns: conventions added here (<c>RequireAuthorization()</c>, <c>RequireCors()</c>,
/// rate limiting, …) apply to every ChatKit endpoint. The <c>health</c> probe carries <c>AllowAnonymous</c>, so an
/// authorization policy never hides it from a load balancer.
/// </summary>
public sealed class ChatKitEndpointConventionBuilder : IEndpointConventionBuilder
{
    private readonly IEndpointConventionBuilder _inner;

    internal ChatKitEndpointConventionBuilder(IEndpointConventionBuilder inner)
    {
        _inner = inner;
    }

    /// <inheritdoc />
    public void Add(Action<EndpointBuilder> convention) => _inner.Add(convention);

    /// <inheritdoc />
    public void Finally(Action<EndpointBuilder> finallyConvention) => _inner.Finally(finallyConvention);
}
