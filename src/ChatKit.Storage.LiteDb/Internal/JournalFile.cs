using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Microsoft.Win32.SafeHandles;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// The append-only journal next to the database file: the records of every committed write batch that the
/// maintenance thread has not folded into the LiteDB layout yet, in segment files <c>NAME.EXT-journal.000001</c>, ….
/// </summary>
/// <remarks>
/// <para>Why a file of its own: appending one record is one <c>pwrite</c> of a few hundred bytes, where inserting
/// it into LiteDB cost a transaction that logs whole 8 KiB pages (data, index, collection) and is checkpointed
/// later, about a fifth of a LiteDB node's CPU per message in the profile. Like LiteDB's own log, a record is in the
/// operating system's cache when <see cref="Append"/> returns (no fsync): a killed process keeps it.</para>
/// <para>Record: length of the payload (4 bytes), CRC-32C of id and payload (4), batch id (8), payload. Ids
/// increase by one per batch. A record cut short or failing its CRC at the end of the last segment is a write the
/// process did not finish (never acknowledged) and is cut off; anywhere else it is corruption and opening fails.</para>
/// <para>Segments: the writer starts a new one when the maintenance thread asks (<see cref="RequestRotation"/>,
/// at the start of each materialization); a segment whose newest record is folded into the layout is deleted
/// (<see cref="DropThrough"/>). The running batch appends (one batch at a time); the maintenance thread rotates and
/// drops.</para>
/// </remarks>
internal sealed class JournalFile : IDisposable
{
    private const int FileHeaderBytes = 8;
    private const int RecordHeaderBytes = 16;
    private const uint Magic = 0x314A_4B43; // "CKJ1" little-endian
    private const string Infix = "-journal.";

    private readonly string _prefix;
    private readonly object _gate = new();
    private readonly List<Segment> _closed = [];
    private Segment? _current;
    private long _nextNumber = 1;
    private byte[] _buffer = new byte[16 * 1024];
    private volatile bool _rotate;
    private string? _broken;
    private long _droppedThrough;

    private JournalFile(string databasePath)
    {
        _prefix = databasePath + Infix;
    }

    /// <summary>The segment files of the journal of <paramref name="databasePath"/>, oldest first.</summary>
    public static IReadOnlyList<string> SegmentPaths(string databasePath) =>
        [.. NumberedSegments(databasePath).Select(static s => s.Path)];

    /// <summary>Opens the journal of a database file (the caller holds the database's lock file).</summary>
    public static JournalFile Open(string databasePath)
    {
        var journal = new JournalFile(databasePath);
        foreach ((string path, long number) in NumberedSegments(databasePath))
        {
            journal._closed.Add(new Segment(path));
            journal._nextNumber = number + 1;
        }

        return journal;
    }

    private static List<(string Path, long Number)> NumberedSegments(string databasePath)
    {
        string directory = Path.GetDirectoryName(databasePath) is { Length: > 0 } d ? d : ".";
        string prefix = databasePath + Infix;
        var segments = new List<(string Path, long Number)>();
        if (Directory.Exists(directory))
        {
            foreach (string path in Directory.GetFiles(directory, Path.GetFileName(databasePath) + Infix + "*"))
            {
                if (path.StartsWith(prefix, StringComparison.Ordinal)
                    && long.TryParse(path.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long number))
                {
                    segments.Add((path, number));
                }
            }
        }

        segments.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return segments;
    }

    /// <summary>
    /// Reads every record of every segment in order (in the first batch, before the first append). Cuts off a
    /// record the process did not finish writing at the end of the last segment.
    /// </summary>
    /// <exception cref="InvalidDataException">A segment other than the last is damaged, or a segment is not a journal.</exception>
    public IEnumerable<(long Id, byte[] Payload)> ReadAll()
    {
        Segment[] segments;
        lock (_gate)
        {
            segments = [.. _closed];
        }

        for (int s = 0; s < segments.Length; s++)
        {
            Segment segment = segments[s];
            byte[] data = File.ReadAllBytes(segment.Path);
            int offset = FileHeaderBytes;
            if (data.Length < FileHeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
            {
                if (s == segments.Length - 1 && data.Length < FileHeaderBytes)
                {
                    // Created, header not finished: nothing in it was ever acknowledged.
                    continue;
                }

                throw new InvalidDataException($"'{segment.Path}' is not a ChatKit journal segment.");
            }

            while (offset < data.Length)
            {
                if (!TryReadRecord(data, offset, out long id, out ReadOnlyMemory<byte> payload, out int next))
                {
                    if (s != segments.Length - 1)
                    {
                        throw new InvalidDataException(
                            $"The journal segment '{segment.Path}' is damaged at byte {offset} and is not the newest one; it cannot be replayed.");
                    }

                    // The tail of the newest segment: a write the process did not finish. Cut it off so that the
                    // file ends on a whole record.
                    using (SafeFileHandle handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Write))
                    {
                        RandomAccess.SetLength(handle, offset);
                    }

                    break;
                }

                segment.LastId = id;
                yield return (id, payload.ToArray());
                offset = next;
            }
        }
    }

    /// <summary>
    /// Appends one batch's record to the current segment (from the running batch); it is in the operating system's
    /// cache when this returns. On failure the segment is cut back to where it was, so that it still ends on a whole
    /// record; if even that fails the journal refuses every later append.
    /// </summary>
    public void Append(long id, ReadOnlySpan<byte> payload)
    {
        if (_broken is not null)
        {
            throw new IOException($"The ChatKit journal cannot be written since an earlier failure ({_broken}); restart the host.");
        }

        if (_current is null || _rotate)
        {
            StartSegment();
        }

        Segment current = _current!;
        int length = RecordHeaderBytes + payload.Length;
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }

        Span<byte> record = _buffer.AsSpan(0, length);
        BinaryPrimitives.WriteInt32LittleEndian(record, payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], id);
        payload.CopyTo(record[RecordHeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C(record[8..]));
        long before = current.Length;
        try
        {
            RandomAccess.Write(current.Handle!, record, before);
        }
        catch (Exception ex)
        {
            CutBack(current, before, ex);
            throw;
        }

        current.Length = before + length;
        current.PreviousLength = before;
        current.LastId = id;
    }

    /// <summary>Removes the record <see cref="Append"/> wrote last (its batch was rolled back after all).</summary>
    public void RemoveLast()
    {
        if (_current is { } current && current.PreviousLength is long before)
        {
            CutBack(current, before, null);
            current.Length = before;
            current.PreviousLength = null;
        }
    }

    /// <summary>Makes the writer's next append start a new segment, so that the current one can be dropped later.</summary>
    public void RequestRotation() => _rotate = true;

    /// <summary>Deletes the closed segments whose every record has an id of at most <paramref name="id"/> (folded in).</summary>
    public void DropThrough(long id)
    {
        List<Segment> drop;
        lock (_gate)
        {
            _droppedThrough = Math.Max(_droppedThrough, id);
            drop = _closed.Where(s => s.LastId <= id).ToList();
            _closed.RemoveAll(s => s.LastId <= id);
        }

        foreach (Segment segment in drop)
        {
            File.Delete(segment.Path);
        }
    }

    /// <summary>Closes the current segment (after the writer and the maintenance thread stopped), and deletes it when it is folded in.</summary>
    public void Dispose()
    {
        if (_current is not { } current)
        {
            return;
        }

        current.Handle?.Dispose();
        _current = null;
        if (current.LastId <= _droppedThrough)
        {
            File.Delete(current.Path);
        }
    }

    private void StartSegment()
    {
        var segment = new Segment(_prefix + _nextNumber.ToString("D6", CultureInfo.InvariantCulture));
        segment.Handle = File.OpenHandle(segment.Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        Span<byte> header = stackalloc byte[FileHeaderBytes];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        RandomAccess.Write(segment.Handle, header, 0);
        segment.Length = FileHeaderBytes;
        _nextNumber++;
        Segment? previous = _current;
        lock (_gate)
        {
            if (previous is not null)
            {
                _closed.Add(previous);
            }

            _current = segment;
        }

        previous?.Handle?.Dispose();
        if (previous is not null)
        {
            previous.Handle = null;
        }

        _rotate = false;
    }

    private void CutBack(Segment segment, long length, Exception? cause)
    {
        try
        {
            RandomAccess.SetLength(segment.Handle!, length);
        }
        catch (Exception ex)
        {
            _broken = $"{segment.Path} could not be cut back to {length} bytes after {(cause is null ? "a rollback" : cause.Message)}: {ex.Message}";
            throw new IOException("The ChatKit journal " + _broken, ex);
        }
    }

    private static bool TryReadRecord(byte[] data, int offset, out long id, out ReadOnlyMemory<byte> payload, out int next)
    {
        id = 0;
        payload = default;
        next = offset;
        if (data.Length - offset < RecordHeaderBytes)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
        if (length < 0 || length > data.Length - offset - RecordHeaderBytes)
        {
            return false;
        }

        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4));
        if (Crc32C(data.AsSpan(offset + 8, 8 + length)) != crc)
        {
            return false;
        }

        id = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(offset + 8));
        payload = data.AsMemory(offset + RecordHeaderBytes, length);
        next = offset + RecordHeaderBytes + length;
        return true;
    }

    /// <summary>CRC-32C (Castagnoli) with the processor's CRC instructions where it has them.</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    private sealed class Segment(string path)
    {
        public string Path { get; } = path;

        public SafeFileHandle? Handle { get; set; }

        public long Length { get; set; }

        public long? PreviousLength { get; set; }

        /// <summary>The id of the newest record in the segment; 0 when it has none.</summary>
        public long LastId { get; set; }
    }
}
