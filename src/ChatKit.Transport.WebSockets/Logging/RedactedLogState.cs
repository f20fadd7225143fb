using System.Collections;

namespace ChatKit.Transport.WebSockets.Logging;

/// <summary>A log entry's state with every token redacted, in its structured values and in its message.</summary>
internal sealed class RedactedLogState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _values;
    private readonly string _message;

    public RedactedLogState(IReadOnlyList<KeyValuePair<string, object?>>? values, string message)
    {
        _message = TokenRedactor.Redact(message);
        if (values is null)
        {
            _values = [];
            return;
        }

        _values = new KeyValuePair<string, object?>[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            KeyValuePair<string, object?> kv = values[i];
            object? value = kv.Value;
            if (value is not null && value is not ValueType && TokenRedactor.MayContainToken(value.ToString()))
            {
                value = TokenRedactor.Redact(value.ToString()!);
            }

            _values[i] = new KeyValuePair<string, object?>(kv.Key, value);
        }
    }

    public int Count => _values.Length;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _message;

    public static string Format(RedactedLogState state, Exception? exception) => state._message;
}
