namespace ChatKit.Sync;

/// <summary>
/// One user's inbox in memory: the newest entries, numbered contiguously from <see cref="InboxState.FirstSeq"/> to
/// <see cref="InboxState.Head"/>. Not thread-safe: the owning store serializes access.
/// </summary>
/// <remarks>
/// A small inbox is one array that doubles up to <see cref="SegmentSlots"/>; a larger one is a list of segments of
/// that size, appended as it grows and dropped from the front as retention trims it. Nothing already stored is copied
/// as an inbox grows. With one doubling array, the members of a group, whose inboxes grow in step, all doubled theirs
/// in the same commit: at 400 group-of-100 messages a second, 1,000 inboxes reallocated and copied tens of
/// megabytes within a second, and the collections that followed held deliveries up for 100–230 ms.
/// </remarks>
internal sealed class InboxLog
{
    /// <summary>Slots per segment: 4 KiB, well under the large-object heap's threshold.</summary>
    private const int SegmentSlots = 256;

    private readonly List<InboxSlot[]> _segments = [new InboxSlot[8]];

    // The first live entry's index in _segments[0]; entries are stored in order from there.
    private int _first;
    private int _count;
    private long _head;

    public InboxState State => new(_head, _head - _count + 1);

    /// <summary>Appends an entry; returns its seq.</summary>
    public long Append(in InboxSlot slot)
    {
        int end = _first + _count;
        int capacity = _segments[0].Length + ((_segments.Count - 1) * SegmentSlots);
        if (end == capacity)
        {
            if (_segments.Count == 1 && _count <= _segments[0].Length / 2)
            {
                // Mostly trimmed already (a short retention): the live entries move to the start, the array stays.
                Array.Copy(_segments[0], _first, _segments[0], 0, _count);
                Array.Clear(_segments[0], _count, _first);
                _first = 0;
            }
            else if (_segments.Count == 1 && _segments[0].Length < SegmentSlots)
            {
                // The lone small array doubles, and its live entries move to its start.
                var bigger = new InboxSlot[_segments[0].Length * 2];
                Array.Copy(_segments[0], _first, bigger, 0, _count);
                _segments[0] = bigger;
                _first = 0;
            }
            else
            {
                _segments.Add(new InboxSlot[SegmentSlots]);
            }
        }

        this[_count] = slot;
        _count++;
        return ++_head;
    }

    /// <summary>
    /// Drops the oldest entries beyond <paramref name="keep"/>, and those created before <paramref name="olderThan"/>
    /// (never the newest), as <paramref name="createdAt"/> tells.
    /// </summary>
    public void Trim(int keep, DateTimeOffset? olderThan, Func<InboxSlot, DateTimeOffset> createdAt)
    {
        while (_count > keep || (_count > 1 && olderThan is { } t && createdAt(this[0]) < t))
        {
            this[0] = default;
            _first++;
            _count--;
            if (_first == _segments[0].Length && _segments.Count > 1)
            {
                _segments.RemoveAt(0);
                _first = 0;
            }
        }

        if (_count == 0)
        {
            _first = 0;
        }
    }

    /// <summary>Reads up to <paramref name="limit"/> entries after <paramref name="afterSeq"/>, each made into an item by <paramref name="itemOf"/>.</summary>
    public InboxEntry[] Read(long afterSeq, int limit, Func<InboxSlot, InboxItem> itemOf)
    {
        long first = _head - _count + 1;
        long from = Math.Max(afterSeq + 1, first);
        if (from > _head || limit == 0)
        {
            return [];
        }

        int n = (int)Math.Min(limit, _head - from + 1);
        var page = new InboxEntry[n];
        int offset = (int)(from - first);
        for (int i = 0; i < n; i++)
        {
            page[i] = new InboxEntry(from + i, itemOf(this[offset + i]));
        }

        return page;
    }

    /// <summary>The live entry at <paramref name="index"/> (0 is the oldest).</summary>
    private ref InboxSlot this[int index]
    {
        get
        {
            int position = _first + index;
            InboxSlot[] lead = _segments[0];
            if (position < lead.Length)
            {
                return ref lead[position];
            }

            // Every segment after the first has SegmentSlots slots, and the first one then has too.
            position -= lead.Length;
            return ref _segments[1 + (position / SegmentSlots)][position % SegmentSlots];
        }
    }
}

/// <summary>
/// An inbox entry as the in-memory store keeps it, in 16 bytes. A message entry is its channel's id (a string the
/// channel already holds) and the message's place in the store, not an object of its own: many inboxes hold one,
/// and an object per message would be young and referenced from old rings at every collection. Other entries (read
/// marks, membership changes) are rare and keep their item.
/// </summary>
/// <param name="Content">The <see cref="InboxItem"/> of a read or member entry, or the channel id of a message entry.</param>
/// <param name="Message">The store's locator of the message, for a message entry.</param>
internal readonly record struct InboxSlot(object Content, long Message);
