using System.Globalization;
using System.Text;

namespace ChatKit.Internal;

/// <summary>
/// Redis Cluster hash slots (CRC16/XMODEM of the hash tag, mod 16384), and for each slot a short tag that hashes to
/// it. A commit script must add its channel to a per-slot "pending fan-out" set in the same slot as the channel's
/// keys; the tag gives that set a name on that slot.
/// </summary>
internal static class HashSlots
{
    public const int Count = 16384;

    private static readonly ushort[] Table = BuildTable();
    private static readonly Lazy<string[]> Tags = new(BuildTags);

    public static int SlotOf(string tagContent)
    {
        ushort crc = 0;
        foreach (byte b in Encoding.UTF8.GetBytes(tagContent))
        {
            crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF]);
        }

        return crc & (Count - 1);
    }

    public static string TagOf(int slot) => Tags.Value[slot];

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            ushort crc = (ushort)(i << 8);
            for (int j = 0; j < 8; j++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }

            table[i] = crc;
        }

        return table;
    }

    private static string[] BuildTags()
    {
        // About 170,000 CRCs of short strings: a few milliseconds, once per process.
        var tags = new string[Count];
        int found = 0;
        for (int n = 0; found < Count; n++)
        {
            string candidate = "fp" + n.ToString(CultureInfo.InvariantCulture);
            int slot = SlotOf(candidate);
            if (tags[slot] is null)
            {
                tags[slot] = candidate;
                found++;
            }
        }

        return tags;
    }
}
