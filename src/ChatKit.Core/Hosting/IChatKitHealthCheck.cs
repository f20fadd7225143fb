namespace ChatKit.Hosting;

/// <summary>
/// A part of the node that can be unreachable (a storage server): <c>GET /chatkit/health</c> answers 503 while any
/// registered check fails. Adapters register theirs with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IChatKitHealthCheck, ...&gt;())</c>; in-memory parts
/// need none.
/// </summary>
public interface IChatKitHealthCheck
{
    /// <summary>A short name for the health report (for example <c>redis</c>), without secrets.</summary>
    string Name { get; }

    /// <summary>Whether the part is reachable now. Must answer quickly (it serves a load balancer's probe) and not throw.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}
