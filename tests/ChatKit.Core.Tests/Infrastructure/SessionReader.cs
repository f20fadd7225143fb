using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Specification;

namespace ChatKit.Tests.Infrastructure;

/// <summary>Reads a session's outgoing queue as a transport would, decoding each frame's JSON.</summary>
internal static class SessionReader
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);

    /// <summary>Every frame queued right now.</summary>
    public static List<JsonElement> Drain(ChatSession session)
    {
        var frames = new List<JsonElement>();
        while (session.TryRead(out OutgoingFrame f))
        {
            frames.Add(WireEntry.ToJson(f));
        }

        return frames;
    }

    /// <summary>Reads frames until <paramref name="done"/> holds for what was read, or fails after a timeout.</summary>
    public static async Task<List<JsonElement>> ReadUntilAsync(ChatSession session, Func<List<JsonElement>, bool> done, List<JsonElement>? into = null)
    {
        var frames = into ?? [];
        using var cts = new CancellationTokenSource(WaitLimit);
        while (!done(frames))
        {
            while (session.TryRead(out OutgoingFrame f))
            {
                frames.Add(WireEntry.ToJson(f));
            }

            if (done(frames))
            {
                break;
            }

            try
            {
                if (!await session.WaitToReadAsync(cts.Token))
                {
                    break; // completed: the session was closed
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out; read so far: {string.Join("\n", frames.Select(f => f.GetRawText()))}");
            }
        }

        return frames;
    }

    /// <summary>Reads until an entry with <paramref name="seq"/> arrived.</summary>
    public static Task<List<JsonElement>> ReadThroughSeqAsync(ChatSession session, long seq, List<JsonElement>? into = null) =>
        ReadUntilAsync(session, fs => fs.Any(f => Type(f) == "entry" && f.GetProperty("seq").GetInt64() >= seq), into);

    public static string Type(JsonElement frame) => frame.GetProperty("type").GetString()!;

    public static IEnumerable<WireEntry> Entries(IEnumerable<JsonElement> frames) =>
        frames.Where(f => Type(f) == "entry").Select(WireEntry.Parse);

    /// <summary>Waits (polling briefly) until <paramref name="condition"/> holds.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for: " + what);
            }

            await Task.Delay(5);
        }
    }
}
