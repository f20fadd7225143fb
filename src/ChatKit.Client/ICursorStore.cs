namespace ChatKit.Client;

/// <summary>
/// Where a <see cref="ChatClient"/> keeps its device cursor: the highest inbox <c>seq</c> whose events have been
/// handled (PROTOCOL.md section 3). The client loads it once in <see cref="ChatClient.ConnectAsync"/> and saves it
/// after the handlers of each inbox entry have run, so an app that persists it sees every entry exactly once
/// across restarts (at least once if the process dies between a handler and the save).
/// </summary>
/// <remarks>One store instance belongs to one user and device; the app chooses where it lives.</remarks>
public interface ICursorStore
{
    /// <summary>Loads the saved cursor.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The cursor, or <see langword="null"/> for a device that never connected.</returns>
    ValueTask<long?> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Saves the cursor. Called often (after every entry): keep it cheap.</summary>
    /// <param name="cursor">The highest handled <c>seq</c>.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    ValueTask SaveAsync(long cursor, CancellationToken cancellationToken = default);
}
