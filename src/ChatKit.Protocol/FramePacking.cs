namespace ChatKit.Protocol;

/// <summary>
/// Packing of several frames in one WebSocket message, separated by <c>\n</c> (PROTOCOL.md section 2).
/// JSON text never holds a raw newline, so splitting on the byte is safe.
/// </summary>
public static class FramePacking
{
    /// <summary>The separator byte.</summary>
    public const byte Separator = (byte)'\n';

    /// <summary>Enumerates the frames of one WebSocket message, skipping empty segments.</summary>
    /// <param name="message">The whole message.</param>
    public static FrameEnumerator Split(ReadOnlyMemory<byte> message) => new(message);

    /// <summary>Enumerates the newline-separated frames of a message without allocating.</summary>
    public struct FrameEnumerator
    {
        private ReadOnlyMemory<byte> _rest;

        internal FrameEnumerator(ReadOnlyMemory<byte> message)
        {
            _rest = message;
            Current = default;
        }

        /// <summary>The current frame.</summary>
        public ReadOnlyMemory<byte> Current { get; private set; }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly FrameEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next non-empty frame.</summary>
        public bool MoveNext()
        {
            while (!_rest.IsEmpty)
            {
                int i = _rest.Span.IndexOf(Separator);
                ReadOnlyMemory<byte> segment = i < 0 ? _rest : _rest[..i];
                _rest = i < 0 ? ReadOnlyMemory<byte>.Empty : _rest[(i + 1)..];
                if (!IsBlank(segment.Span))
                {
                    Current = segment;
                    return true;
                }
            }

            return false;
        }

        private static bool IsBlank(ReadOnlySpan<byte> s) => s.Trim(" \r\t"u8).IsEmpty;
    }
}
