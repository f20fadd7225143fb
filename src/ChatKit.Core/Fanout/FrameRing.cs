namespace ChatKit.Fanout;

/// <summary>
/// A session's outgoing frames in order: a ring that grows by doubling up to its capacity. Not thread-safe: the
/// session guards it with its own lock, which delivery takes anyway to keep entries in <c>seq</c> order, so that
/// queuing a frame touches no object besides the session and the ring's array.
/// </summary>
/// <remarks>A mutable struct, kept in a field and only used through it (never copied).</remarks>
internal struct FrameRing
{
    private const int FirstSize = 4;
    private OutgoingFrame[] _items;
    private int _head;
    private int _count;

    public FrameRing()
    {
        _items = [];
    }

    /// <summary>The frames waiting. Written under the session's lock; a read without it may be a little stale.</summary>
    public readonly int Count => Volatile.Read(in _count);

    /// <summary>Adds <paramref name="frame"/> at the end, unless <paramref name="capacity"/> frames are waiting.</summary>
    public bool TryEnqueue(in OutgoingFrame frame, int capacity)
    {
        if (_count == _items.Length)
        {
            if (_count >= capacity)
            {
                return false;
            }

            Grow(capacity);
        }

        int tail = _head + _count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        _items[tail] = frame;
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    /// <summary>Takes the first frame, if any.</summary>
    public bool TryDequeue(out OutgoingFrame frame)
    {
        if (_count == 0)
        {
            frame = default;
            return false;
        }

        frame = _items[_head];

        // The slot lets go of the frame's bytes, which may be a large backlog page.
        _items[_head] = default;
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        Volatile.Write(ref _count, _count - 1);
        return true;
    }

    private void Grow(int capacity)
    {
        var bigger = new OutgoingFrame[Math.Min(Math.Max(FirstSize, _items.Length * 2), capacity)];
        for (int i = 0; i < _count; i++)
        {
            int at = _head + i;
            bigger[i] = _items[at >= _items.Length ? at - _items.Length : at];
        }

        _items = bigger;
        _head = 0;
    }
}
