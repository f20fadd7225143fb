using System.Collections.Concurrent;

namespace SignalRBaseline;

/// <summary>
/// What a SignalR app adds for offline users: the messages of each user, numbered, kept in memory,
/// so that a device reconnecting with <c>after=N</c> gets what it missed (the reconnect-storm scenario).
/// Only used when the sender asks for it (<c>SendDirectStored</c>), so the live scenarios pay nothing.
/// </summary>
internal sealed class Inboxes
{
    private readonly ConcurrentDictionary<string, Inbox> _inboxes = new();

    public Inbox Get(string user) => _inboxes.GetOrAdd(user, static _ => new Inbox());

    internal sealed class Inbox
    {
        private readonly List<string> _bodies = [];

        public long Append(string body)
        {
            lock (_bodies)
            {
                _bodies.Add(body);
                return _bodies.Count;
            }
        }

        public string[] After(long after)
        {
            lock (_bodies)
            {
                var start = (int)Math.Clamp(after, 0, _bodies.Count);
                return _bodies.GetRange(start, _bodies.Count - start).ToArray();
            }
        }
    }
}
