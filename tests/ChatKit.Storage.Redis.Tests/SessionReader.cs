using System.Text;
using System.Text.Json;
using ChatKit.Fanout;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>Reads what a session would write to its socket: entries by seq, and other frames.</summary>
public sealed class SessionReader
{
    private readonly ChatSession _session;

    public SessionReader(ChatSession session) => _session = session;

    public ChatSession Session => _session;

    public List<(long Seq, JsonElement Entry)> Entries { get; } = [];

    public List<JsonElement> Frames { get; } = [];

    /// <summary>Takes every queued frame.</summary>
    public void Drain()
    {
        while (_session.TryRead(out OutgoingFrame f))
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            f.WriteTo(buffer);
            JsonElement json = JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
            if (f.Seq > 0)
            {
                Entries.Add((f.Seq, json));
            }
            else
            {
                Frames.Add(json);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds on what was read, draining as it goes.</summary>
    public async Task WaitForAsync(Func<SessionReader, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        DateTime end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Drain();
            if (condition(this))
            {
                return;
            }

            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException("Timed out waiting for " + (what ?? "frames") + "; have entries " +
                    string.Join(",", Entries.Select(e => e.Seq)) + " and frames " + string.Join(" ", Frames.Select(f => f.GetRawText())));
            }

            await Task.Delay(20);
        }
    }

    public static string Body(JsonElement entry) => entry.GetProperty("message").GetProperty("body").GetString()!;
}
