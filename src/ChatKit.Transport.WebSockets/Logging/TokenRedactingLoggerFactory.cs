using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Logging;

/// <summary>Wraps the host's logger factory so that no log entry, from any category, shows an <c>access_token</c>.</summary>
internal sealed class TokenRedactingLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;

    public TokenRedactingLoggerFactory(ILoggerFactory inner)
    {
        _inner = inner;
    }

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public ILogger CreateLogger(string categoryName) => new TokenRedactingLogger(_inner.CreateLogger(categoryName));

    public void Dispose() => _inner.Dispose();
}
