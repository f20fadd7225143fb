namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// A Bloom filter over the dedupe keys of the last dedupe window, kept by the writer: a key it has never seen is
/// certainly new, so the writer skips the look-up in the history for nearly every commit. A key it may have seen is
/// looked up as before; false positives only cost that read.
/// </summary>
/// <remarks>
/// A Bloom filter cannot forget a key or grow, and rebuilding it from the file means reading every message of the
/// window on the writer, with every send waiting (hundreds of milliseconds once the window holds a few hundred
/// thousand messages). So the filter is a chain of generations instead: keys go into the newest one; a full
/// generation is closed and a new one, sized for the keys the chain holds, takes over; a closed generation whose
/// newest key has left the window is dropped. Memory follows the keys of one window (32 bits each, at most about
/// three times that while generations overlap) and no key younger than the window is ever dropped.
/// <para>A false positive costs a walk back through the channel's history to the start of the window, on the writer,
/// with every send waiting behind it; and a send checks every live generation. With 12 bits and 8 probes per key
/// (0.3 % each) about one send in a hundred walked, a twelfth of the request threads' time under 1:1 load. With 20
/// bits and 14 probes about two sends in 10,000 still walked, and a walk that came during a checkpoint waited for it
/// (the walk reads the file): 100–200 ms in which no send was committed, at every second or third checkpoint at
/// 11,000 1:1 messages a second. With 32 bits and 22 probes a full generation answers wrongly for about one key in
/// five million, and a window's generations for about one in a million: a walk every couple of minutes at that rate.
/// The price is 60 % more memory than 20 bits and eight more probes (cache misses) per send.</para>
/// </remarks>
internal sealed class DedupeFilter
{
    private const int MinimumCapacity = 1 << 16;

    private readonly List<Generation> _generations = [];

    /// <summary>Whether the filter was built from the file; until then every key may have been seen.</summary>
    public bool Loaded { get; private set; }

    /// <summary>How many generations are alive (for tests and diagnostics).</summary>
    internal int GenerationCount => _generations.Count;

    /// <summary>Starts over, sized for <paramref name="keys"/> keys and as many new ones.</summary>
    public void Reset(int keys)
    {
        _generations.Clear();
        _generations.Add(new Generation(Math.Max(MinimumCapacity, keys * 2)));
        Loaded = true;
    }

    /// <summary>Adds a key written at <paramref name="at"/>, and drops the generations older than <paramref name="horizon"/>.</summary>
    /// <param name="key">The dedupe key.</param>
    /// <param name="at">When its message was sent.</param>
    /// <param name="horizon">The start of the dedupe window: keys older than this need no longer be found.</param>
    public void Add(string key, DateTimeOffset at, DateTimeOffset horizon)
    {
        Generation newest = _generations[^1];
        if (newest.Full)
        {
            int held = 0;
            foreach (Generation generation in _generations)
            {
                held += generation.Count;
            }

            newest = new Generation(Math.Max(MinimumCapacity, held));
            _generations.Add(newest);
        }

        newest.Add(key, at);

        // The oldest generations go first; the newest always stays.
        while (_generations.Count > 1 && _generations[0].Newest < horizon)
        {
            _generations.RemoveAt(0);
        }
    }

    /// <summary>Whether <paramref name="key"/> may have been added (always, until the filter is loaded).</summary>
    public bool MightContain(string key)
    {
        if (!Loaded)
        {
            return true;
        }

        (uint h1, uint h2) = Hash(key);
        foreach (Generation generation in _generations)
        {
            if (generation.MightContain(h1, h2))
            {
                return true;
            }
        }

        return false;
    }

    private static (uint, uint) Hash(string key)
    {
        uint fnv = 2166136261;
        foreach (char c in key)
        {
            fnv = (fnv ^ c) * 16777619;
        }

        return ((uint)StringComparer.Ordinal.GetHashCode(key), fnv | 1);
    }

    /// <summary>One Bloom filter of the chain: 32 bits and 22 probes per key give about 0.00002 % false positives when full.</summary>
    private sealed class Generation
    {
        private const int HashCount = 22;
        private const int BitsPerKey = 32;
        private readonly ulong[] _bits;
        private readonly long _bitCount;
        private readonly int _capacity;

        public Generation(int capacity)
        {
            _capacity = capacity;
            _bitCount = (long)capacity * BitsPerKey;
            _bits = new ulong[(_bitCount + 63) / 64];
        }

        public int Count { get; private set; }

        public bool Full => Count >= _capacity;

        /// <summary>When the newest key in it was sent.</summary>
        public DateTimeOffset Newest { get; private set; } = DateTimeOffset.MinValue;

        public void Add(string key, DateTimeOffset at)
        {
            (uint h1, uint h2) = Hash(key);
            for (int i = 0; i < HashCount; i++)
            {
                long bit = (h1 + (long)i * h2) % _bitCount;
                _bits[bit >> 6] |= 1UL << (int)(bit & 63);
            }

            Count++;
            if (at > Newest)
            {
                Newest = at;
            }
        }

        public bool MightContain(uint h1, uint h2)
        {
            for (int i = 0; i < HashCount; i++)
            {
                long bit = (h1 + (long)i * h2) % _bitCount;
                if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
