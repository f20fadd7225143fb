namespace ChatKit.Sync;

/// <summary>
/// One user's inbox in memory: a ring of the newest entries, numbered contiguously from <see cref="InboxState.FirstSeq"/>
/// to <see cref="InboxState.Head"/>. Not thread-safe: the owning store serializes access.
/// </summary>
internal sealed class InboxLog
{
    private InboxEntry[] _ring = new InboxEntry[8];
    private int _start;
    private int _count;
    private long _head;

    public InboxState State => new(_head, _head - _count + 1);

    public InboxEntry Append(InboxItem item)
    {
        if (_count == _ring.Length)
        {
            var bigger = new InboxEntry[_ring.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_start + i) % _ring.Length];
            }

            _ring = bigger;
            _start = 0;
        }

        var entry = new InboxEntry(++_head, item);
        _ring[(_start + _count) % _ring.Length] = entry;
        _count++;
        return entry;
    }

    /// <summary>Drops the oldest entries beyond <paramref name="keep"/>, and those older than <paramref name="olderThan"/> (never the newest).</summary>
    public void Trim(int keep, DateTimeOffset? olderThan)
    {
        while (_count > keep || (_count > 1 && olderThan is { } t && _ring[_start].Item.CreatedAt < t))
        {
            _ring[_start] = default;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }

        // Give memory back when an inbox shrank to a small fraction of its ring.
        if (_ring.Length > 64 && _count < _ring.Length / 8)
        {
            var smaller = new InboxEntry[Math.Max(8, _ring.Length / 4)];
            for (int i = 0; i < _count; i++)
            {
                smaller[i] = _ring[(_start + i) % _ring.Length];
            }

            _ring = smaller;
            _start = 0;
        }
    }

    public InboxEntry[] Read(long afterSeq, int limit)
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
            page[i] = _ring[(_start + offset + i) % _ring.Length];
        }

        return page;
    }
}
