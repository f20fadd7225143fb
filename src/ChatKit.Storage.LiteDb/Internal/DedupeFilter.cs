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
/// newest key has left the window is dropped. Memory follows the keys of one window (40 bits each, at most about
/// three times that while generations overlap) and no key younger than the window is ever dropped.
/// <para>A false positive costs a walk back through the channel's history to the start of the window, on the writer,
/// with every send waiting behind it; and a send checks every live generation. With 12 bits and 8 probes per key
/// (0.3 % each) about one send in a hundred walked, a twelfth of the request threads' time under 1:1 load. With 20
/// bits and 14 probes about two sends in 10,000 still walked, and a walk that came during a checkpoint waited for it
/// (the walk reads the file): 100–200 ms in which no send was committed, at every second or third checkpoint at
/// 11,000 1:1 messages a second. Now a full window of generations answers wrongly for one to three keys in a
/// million (DedupeFilterTests): at that rate a walk every minute or so, and one during a checkpoint (1–2 % of the
/// time) about once an hour. Each generation is blocked (see <see cref="Generation"/>): its probes cost one or two
/// cache misses, where scattered probes cost a miss each (22 of them showed as 1.5 % of the node's CPU).</para>
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

    /// <summary>
    /// One Bloom filter of the chain, blocked: a key's 16 probes all fall in one block of 512 bits (a cache line, or
    /// two when the block straddles one), chosen by the mixed hash, so that adding or looking up a key costs one or
    /// two cache misses per generation instead of one per probe. 40 bits per key make up for what blocking costs in
    /// accuracy: a full generation answers wrongly for about one key in 400,000.
    /// </summary>
    private sealed class Generation
    {
        private const int HashCount = 16;
        private const int BitsPerKey = 40;
        private const int BlockBits = 512;
        private const int BlockWords = BlockBits / 64;
        private const int PositionsPerMix = 7;
        private readonly ulong[] _bits;
        private readonly uint _blocks;
        private readonly int _capacity;

        public Generation(int capacity)
        {
            _capacity = capacity;
            _blocks = (uint)Math.Max(1, ((long)capacity * BitsPerKey + BlockBits - 1) / BlockBits);
            _bits = new ulong[(long)_blocks * BlockWords];
        }

        public int Count { get; private set; }

        public bool Full => Count >= _capacity;

        /// <summary>When the newest key in it was sent.</summary>
        public DateTimeOffset Newest { get; private set; } = DateTimeOffset.MinValue;

        public void Add(string key, DateTimeOffset at)
        {
            (uint h1, uint h2) = Hash(key);
            ulong x = Mix(((ulong)h1 << 32) | h2);
            Span<ulong> block = Block(x);
            for (int i = 0; i < HashCount; i++)
            {
                int bit = Probe(ref x, i);
                block[bit >> 6] |= 1UL << (bit & 63);
            }

            Count++;
            if (at > Newest)
            {
                Newest = at;
            }
        }

        public bool MightContain(uint h1, uint h2)
        {
            ulong x = Mix(((ulong)h1 << 32) | h2);
            Span<ulong> block = Block(x);
            for (int i = 0; i < HashCount; i++)
            {
                int bit = Probe(ref x, i);
                if ((block[bit >> 6] & (1UL << (bit & 63))) == 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A key's block: the low half of its mixed hash scaled to the block count (no division).</summary>
        private Span<ulong> Block(ulong x) => _bits.AsSpan((int)(((x & uint.MaxValue) * _blocks) >> 32) * BlockWords, BlockWords);

        /// <summary>
        /// The <paramref name="i"/>-th probe, a bit of the block: seven 9-bit positions from each further mix of the
        /// hash. Independent positions, not double hashing: within a block of 512 bits, probes spaced by a common
        /// step left patterns that overlapped so often that one unseen key in 3,000 matched.
        /// </summary>
        private static int Probe(ref ulong x, int i)
        {
            int slot = i % PositionsPerMix;
            if (slot == 0)
            {
                x = Mix(x);
            }

            return (int)(x >> (slot * 9)) & (BlockBits - 1);
        }

        /// <summary>SplitMix64's finalizer after a golden-ratio increment: every output bit depends on every input bit.</summary>
        private static ulong Mix(ulong x)
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}
