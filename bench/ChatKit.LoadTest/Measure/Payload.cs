using System.Buffers.Text;
using System.Diagnostics;

namespace ChatKit.LoadTest.Measure;

/// <summary>
/// The message body every protocol carries unchanged: a marker, the scheduled send time
/// (Stopwatch ticks, comparable across processes on one machine) and the sending connection's id,
/// padded to the body size. Receivers find deliveries by scanning for the marker, so the same
/// code counts deliveries for every server, whatever framing wraps the body, and packed frames
/// (several messages in one WebSocket message) are counted one by one.
/// </summary>
internal static class Payload
{
    public const int HeaderLength = 2 + TicksDigits + IdDigits + 1;
    private const int TicksDigits = 19;
    private const int IdDigits = 7;

    public static ReadOnlySpan<byte> Marker => "~#"u8;

    public static string Create(long scheduledTicks, int senderId, int bodyLength)
    {
        var length = Math.Max(bodyLength, HeaderLength);
        return string.Create(length, (scheduledTicks, senderId), static (span, state) =>
        {
            span[0] = '~';
            span[1] = '#';
            state.scheduledTicks.TryFormat(span.Slice(2, TicksDigits), out _, "D19", null);
            state.senderId.TryFormat(span.Slice(2 + TicksDigits, IdDigits), out _, "D7", null);
            span[HeaderLength - 1] = '#';
            span[HeaderLength..].Fill('x');
        });
    }

    /// <summary>Counts the deliveries in one received WebSocket message and records their latency.</summary>
    /// <returns>Number of bodies found that were sent by another connection.</returns>
    public static int Scan(ReadOnlySpan<byte> data, int selfId, LatencyRecorder? recorder)
    {
        var count = 0;
        long now = 0;
        while (true)
        {
            var i = data.IndexOf(Marker);
            if (i < 0 || data.Length - i < HeaderLength)
            {
                return count;
            }

            var header = data.Slice(i + 2, TicksDigits + IdDigits);
            data = data[(i + HeaderLength)..];
            if (!Utf8Parser.TryParse(header[..TicksDigits], out long ticks, out var used) || used != TicksDigits
                || !Utf8Parser.TryParse(header[TicksDigits..], out int sender, out used) || used != IdDigits)
            {
                continue;
            }

            if (sender == selfId)
            {
                continue;
            }

            count++;
            if (recorder is not null)
            {
                if (now == 0)
                {
                    now = Stopwatch.GetTimestamp();
                }

                recorder.Record(ticks, now);
            }
        }
    }
}
