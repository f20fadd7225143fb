using System.Globalization;
using ChatKit.Client;

namespace ChatKit.Samples.ConsoleClient;

/// <summary>
/// Keeps the device cursor in a small text file, written atomically (temp file + rename) so that a crash never
/// leaves a torn number behind. One file per user and device.
/// </summary>
internal sealed class FileCursorStore : ICursorStore
{
    private readonly string _path;

    public FileCursorStore(string path)
    {
        _path = path;
    }

    public string Path => _path;

    public async ValueTask<long?> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        string text = await File.ReadAllTextAsync(_path, cancellationToken).ConfigureAwait(false);
        return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long cursor) ? cursor : null;
    }

    public async ValueTask SaveAsync(long cursor, CancellationToken cancellationToken = default)
    {
        string temp = _path + ".tmp";
        await File.WriteAllTextAsync(temp, cursor.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        File.Move(temp, _path, overwrite: true);
    }
}
