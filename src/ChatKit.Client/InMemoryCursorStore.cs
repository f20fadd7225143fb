namespace ChatKit.Client;

/// <summary>
/// The default <see cref="ICursorStore"/>: keeps the cursor in memory. Reusing one instance for a new
/// <see cref="ChatClient"/> resumes where the previous client stopped; a new process starts without a cursor.
/// </summary>
public sealed class InMemoryCursorStore : ICursorStore
{
    private long _cursor;
    private int _hasValue;

    /// <summary>Creates an empty store.</summary>
    public InMemoryCursorStore()
    {
    }

    /// <summary>Creates a store that already holds <paramref name="cursor"/>.</summary>
    /// <param name="cursor">The initial cursor.</param>
    public InMemoryCursorStore(long cursor)
    {
        _cursor = cursor;
        _hasValue = 1;
    }

    /// <summary>The saved cursor, or <see langword="null"/> when none was saved.</summary>
    public long? Cursor => Volatile.Read(ref _hasValue) == 1 ? Interlocked.Read(ref _cursor) : null;

    /// <inheritdoc />
    public ValueTask<long?> LoadAsync(CancellationToken cancellationToken = default) => new(Cursor);

    /// <inheritdoc />
    public ValueTask SaveAsync(long cursor, CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _cursor, cursor);
        Volatile.Write(ref _hasValue, 1);
        return ValueTask.CompletedTask;
    }
}
