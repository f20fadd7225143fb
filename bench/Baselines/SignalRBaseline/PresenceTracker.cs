using System.Collections.Concurrent;

namespace SignalRBaseline;

/// <summary>Counts the live connections of each user so that only the first open and the last close are announced.</summary>
internal sealed class PresenceTracker
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    /// <summary>Returns true when this is the user's first live connection.</summary>
    public bool Connected(string user) => _counts.AddOrUpdate(user, 1, static (_, n) => n + 1) == 1;

    /// <summary>Returns true when this was the user's last live connection.</summary>
    public bool Disconnected(string user)
    {
        while (true)
        {
            if (!_counts.TryGetValue(user, out var n))
            {
                return false;
            }

            if (n <= 1)
            {
                if (_counts.TryRemove(new KeyValuePair<string, int>(user, n)))
                {
                    return true;
                }
            }
            else if (_counts.TryUpdate(user, n - 1, n))
            {
                return false;
            }
        }
    }
}
