using Microsoft.Extensions.Logging;

namespace ChatKit.Transport.WebSockets.Logging;

/// <summary>Passes entries on unchanged unless they show an <c>access_token</c>; those are passed on redacted.</summary>
internal sealed class TokenRedactingLogger : ILogger
{
    private readonly ILogger _inner;

    public TokenRedactingLogger(ILogger inner)
    {
        _inner = inner;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_inner.IsEnabled(logLevel))
        {
            return;
        }

        var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
        if (!ShowsToken(values, state, exception, formatter, out string? message))
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        // An exception's message may hold the URL too (a bad request line): it goes on as its redacted text.
        Exception? safeException = exception is not null && TokenRedactor.MayContainToken(exception.ToString())
            ? new RedactedException(exception)
            : exception;
        var redacted = new RedactedLogState(values, message ?? formatter(state, exception));
        _inner.Log(logLevel, eventId, redacted, safeException, RedactedLogState.Format);
    }

    private static bool ShowsToken<TState>(IReadOnlyList<KeyValuePair<string, object?>>? values, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter, out string? message)
    {
        message = null;
        if (exception is not null && TokenRedactor.MayContainToken(exception.ToString()))
        {
            return true;
        }

        if (values is not null)
        {
            // Structured state: looking at the values is cheaper than formatting, and covers what formatting shows.
            for (int i = 0; i < values.Count; i++)
            {
                object? value = values[i].Value;
                if (value is string s ? TokenRedactor.MayContainToken(s) : value is not null and not ValueType && TokenRedactor.MayContainToken(value.ToString()))
                {
                    return true;
                }
            }

            // Some states (the hosting diagnostics' classes) compute their message from more than their values; the
            // structs of [LoggerMessage] and LoggerExtensions format only their values, checked above.
            if (state is not ValueType && state is not null && TokenRedactor.MayContainToken(state.ToString()))
            {
                return true;
            }

            return false;
        }

        message = formatter(state, exception);
        return TokenRedactor.MayContainToken(message);
    }

    private sealed class RedactedException : Exception
    {
        private readonly string _text;

        public RedactedException(Exception inner)
            : base(TokenRedactor.Redact(inner.Message))
        {
            _text = TokenRedactor.Redact(inner.ToString());
        }

        public override string ToString() => _text;
    }
}
