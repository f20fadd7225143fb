namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// A Bloom filter over the dedupe keys in the file, kept by the writer: a key it has never seen is certainly new,
/// so the writer skips the point read of the dedupe collection for nearly every commit (a LiteDB point read costs
/// several inserts). A key it may have seen is looked up as before. False positives only cost that read.
/// </summary>
internal sealed class DedupeFilter
{
    private const int HashCount = 7;
    private const int BitsPerKey = 10;
    private ulong[] _bits = [];
    private long _bitCount;
    private int _capacity;
    private int _count;

    /// <summary>Whether the filter was built from the file; until then every key may have been seen.</summary>
    public bool Loaded { get; private set; }

    /// <summary>Whether more keys were added than the filter was sized for (its false-positive rate climbs): rebuild.</summary>
    public bool Saturated => _count > _capacity;

    /// <summary>Starts over, sized for <paramref name="keys"/> keys and as many new ones.</summary>
    public void Reset(int keys)
    {
        _capacity = Math.Max(1 << 16, keys * 2);
        _bitCount = (long)_capacity * BitsPerKey;
        _bits = new ulong[(_bitCount + 63) / 64];
        _count = 0;
        Loaded = true;
    }

    public void Add(string key)
    {
        (uint h1, uint h2) = Hash(key);
        for (int i = 0; i < HashCount; i++)
        {
            long bit = (h1 + (long)i * h2) % _bitCount;
            _bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }

        _count++;
    }

    public bool MightContain(string key)
    {
        if (!Loaded)
        {
            return true;
        }

        (uint h1, uint h2) = Hash(key);
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

    private static (uint, uint) Hash(string key)
    {
        uint fnv = 2166136261;
        foreach (char c in key)
        {
            fnv = (fnv ^ c) * 16777619;
        }

        return ((uint)StringComparer.Ordinal.GetHashCode(key), fnv | 1);
    }
}
