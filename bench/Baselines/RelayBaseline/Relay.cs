using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net.WebSockets;
using System.Text;

namespace RelayBaseline;

/// <summary>Routes frames between connections by user and by group; copy-on-write member lists keep the forward path lock-free.</summary>
internal sealed class Relay
{
    private readonly ConcurrentDictionary<string, ImmutableArray<RelayConnection>> _users = new();
    private readonly ConcurrentDictionary<string, ImmutableArray<RelayConnection>> _groups = new();

    public async Task RunAsync(string user, WebSocket socket, CancellationToken cancellationToken)
    {
        var connection = new RelayConnection(socket);
        Add(_users, user, connection);
        var joined = new List<string>();
        var writer = connection.WriteLoopAsync();
        try
        {
            while (true)
            {
                // Zero-byte read first: an idle connection holds no receive buffer.
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    var count = 0;
                    var result = peek;
                    while (!result.EndOfMessage && count < buffer.Length)
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                        count += result.Count;
                    }

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    Route(user, connection, buffer.AsSpan(0, count), joined);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (WebSocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Remove(_users, user, connection);
            foreach (var group in joined)
            {
                Remove(_groups, group, connection);
            }

            connection.Complete();
            await writer;
        }
    }

    private void Route(string user, RelayConnection from, ReadOnlySpan<byte> frame, List<string> joined)
    {
        if (frame.Length < 3 || frame[1] != (byte)'|')
        {
            return;
        }

        var rest = frame[2..];
        var bar = rest.IndexOf((byte)'|');
        var target = Encoding.UTF8.GetString(bar < 0 ? rest : rest[..bar]);
        switch (frame[0])
        {
            case (byte)'D':
            {
                var bytes = frame.ToArray();
                if (_users.TryGetValue(target, out var peers))
                {
                    foreach (var peer in peers)
                    {
                        peer.Enqueue(bytes);
                    }
                }

                if (_users.TryGetValue(user, out var own))
                {
                    foreach (var device in own)
                    {
                        if (device != from)
                        {
                            device.Enqueue(bytes);
                        }
                    }
                }

                break;
            }

            case (byte)'G':
            {
                if (_groups.TryGetValue(target, out var members))
                {
                    var bytes = frame.ToArray();
                    foreach (var member in members)
                    {
                        member.Enqueue(bytes);
                    }
                }

                break;
            }

            case (byte)'J':
                Add(_groups, target, from);
                joined.Add(target);
                from.Enqueue(Encoding.UTF8.GetBytes("j|" + target));
                break;
        }
    }

    private static void Add(ConcurrentDictionary<string, ImmutableArray<RelayConnection>> map, string key, RelayConnection connection)
        => map.AddOrUpdate(key, _ => [connection], (_, list) => list.Add(connection));

    private static void Remove(ConcurrentDictionary<string, ImmutableArray<RelayConnection>> map, string key, RelayConnection connection)
    {
        while (map.TryGetValue(key, out var list))
        {
            var next = list.Remove(connection);
            if (next.IsEmpty ? map.TryRemove(new KeyValuePair<string, ImmutableArray<RelayConnection>>(key, list)) : map.TryUpdate(key, next, list))
            {
                return;
            }
        }
    }
}
