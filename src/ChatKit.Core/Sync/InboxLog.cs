namespace ChatKit.Sync;

/// <summary>
/// One user's inbox in memory: a ring of the newest entries, numbered contiguously from <see cref="InboxState.FirstSeq"/>
/// to <see cref="InboxState.Head"/>. Not thread-safe: the owning store serializes access.
/// </summary>
internal sealed class InboxLog
{
    private InboxSlot[] _ring = new InboxSlot[8];
    private int _start;
    private int _count;
    private long _head;

    public InboxState State => new(_head, _head - _count + 1);

    /// <summary>Appends an entry; returns its seq.</summary>
    public long Append(in InboxSlot slot)
    {
        if (_count == _ring.Length)
        {
            var bigger = new InboxSlot[_ring.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_start + i) % _ring.Length];
            }

            _ring = bigger;
            _start = 0;
        }

        _ring[(_start + _count) % _ring.Length] = slot;
        _count++;
        return ++_head;
    }

    /// <summary>
    /// Drops the oldest entries beyond <paramref name="keep"/>, and those created before <paramref name="olderThan"/>
    /// (never the newest), as <paramref name="createdAt"/> tells.
    /// </summary>
    public void Trim(int keep, DateTimeOffset? olderThan, Func<InboxSlot, DateTimeOffset> createdAt)
    {
        while (_count > keep || (_count > 1 && olderThan is { } t && createdAt(_ring[_start]) < t))
        {
            _ring[_start] = default;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }

        // Give memory back when an inbox shrank to a small fraction of its ring.
        if (_ring.Length > 64 && _count < _ring.Length / 8)
        {
            var smaller = new InboxSlot[Math.Max(8, _ring.Length / 4)];
            for (int i = 0; i < _count; i++)
            {
                smaller[i] = _ring[(_start + i) % _ring.Length];
            }

            _ring = smaller;
            _start = 0;
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
            page[i] = new InboxEntry(from + i, itemOf(_ring[(_start + offset + i) % _ring.Length]));
        }

        return page;
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
