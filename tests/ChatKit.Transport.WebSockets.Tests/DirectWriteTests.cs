using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Transport.WebSockets.Internal;

namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>
/// On the socket listener the connection frames its messages itself and writes them straight to the socket, beside
/// the WebSocket's own pongs and close (<see cref="DirectSocketStream"/>). Checked here on the wire, with a raw TCP
/// client that parses every frame strictly.
/// </summary>
public sealed class DirectWriteTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x81, 0 })]
    [InlineData(125, new byte[] { 0x81, 125 })]
    [InlineData(126, new byte[] { 0x81, 126, 0, 126 })]
    [InlineData(65535, new byte[] { 0x81, 126, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void A_text_frames_header_has_the_shortest_length_encoding_right_in_front_of_the_payload(int payloadLength, byte[] expected)
    {
        byte[] room = new byte[DirectSocketStream.MaxHeaderLength];
        room.AsSpan().Fill(0xEE);

        int length = DirectSocketStream.WriteTextFrameHeader(room, payloadLength);

        Assert.Equal(expected.Length, length);
        Assert.Equal(expected, room[^length..]);
        Assert.All(room[..^length], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public async Task Messages_written_while_the_client_does_not_read_arrive_whole_and_in_order_with_every_pong_apart()
    {
        await using ChatKitHost host = await ChatKitHost.StartAsync(listener: WebSocketListener.SocketListener);
        using var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(IPAddress.Loopback, host.WebSocketEndpoint.Port);
        NetworkStream stream = client.GetStream();
        var reader = new RawFrameReader(stream);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "GET /chatkit?device=d1&access_token=tok-alice HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 101 ", await reader.ReadHeadAsync());
        await WaitFor.ConditionAsync(() => host.Sessions.SessionsOf("alice").Count == 1);
        ChatSession session = host.Sessions.SessionsOf("alice")[0];

        // Far more than the socket buffers hold while the client reads nothing: writes go partial, then pending, and
        // the sizes cover every length encoding. The pings' pongs must wait for the message under way, never cut it.
        const int Frames = 120;
        const int Pings = 20;
        int[] sizes = [10, 200, 40_000, 70_000];
        var sending = Task.Run(() =>
        {
            for (int i = 0; i < Frames; i++)
            {
                Assert.True(session.Send(TestFrame(i, sizes[i % sizes.Length])));
            }
        });
        for (int i = 0; i < Pings; i++)
        {
            await stream.WriteAsync(ClientFrames.Masked(0x89, Encoding.ASCII.GetBytes("p" + i)));
            await Task.Delay(5);
        }

        await sending.WaitAsync(TestClient.DefaultTimeout);

        var pongs = new List<string>();
        var frames = new List<JsonElement>();
        while (frames.Count < Frames + 1 || pongs.Count < Pings)
        {
            (int opcode, byte[] payload) = await reader.ReadFrameAsync();
            if (opcode == 0xA)
            {
                pongs.Add(Encoding.ASCII.GetString(payload));
                continue;
            }

            Assert.Equal(0x1, opcode);
            foreach (string json in Encoding.UTF8.GetString(payload).Split('\n'))
            {
                frames.Add(JsonDocument.Parse(json).RootElement.Clone());
            }
        }

        Assert.Equal(Enumerable.Range(0, Pings).Select(i => "p" + i), pongs);
        Assert.Equal("welcome", frames[0].GetProperty("type").GetString());
        for (int i = 0; i < Frames; i++)
        {
            JsonElement f = frames[i + 1];
            Assert.Equal(i, f.GetProperty("i").GetInt32());
            Assert.Equal(sizes[i % sizes.Length], f.GetProperty("pad").GetString()!.Length);
        }

        // The close handshake still works through the same stream.
        await stream.WriteAsync(ClientFrames.Masked(0x88, [0x03, 0xE8]));
        (int closeOpcode, byte[] closePayload) = await reader.ReadFrameAsync();
        Assert.Equal(0x8, closeOpcode);
        Assert.Equal(1000, BinaryPrimitives.ReadUInt16BigEndian(closePayload));
    }

    private static byte[] TestFrame(int i, int padding) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"test\",\"i\":{i},\"pad\":\"{new string((char)('a' + (i % 26)), padding)}\"}}");

    /// <summary>Reads the server's side of a WebSocket from the raw stream, failing on anything RFC 6455 forbids a server to send here.</summary>
    private sealed class RawFrameReader(NetworkStream stream)
    {
        private readonly List<byte> _buffered = [];

        public async Task<string> ReadHeadAsync()
        {
            while (true)
            {
                int end = IndexOfHeadEnd();
                if (end >= 0)
                {
                    string head = Encoding.ASCII.GetString([.. _buffered.Take(end)]);
                    _buffered.RemoveRange(0, end + 4);
                    return head;
                }

                await FillAsync();
            }
        }

        public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync()
        {
            await EnsureAsync(2);
            byte first = _buffered[0];
            byte second = _buffered[1];
            Assert.True((first & 0x80) != 0, "every frame is final: ChatKit does not fragment");
            Assert.Equal(0, first & 0x70);
            Assert.Equal(0, second & 0x80);
            int headerLength = (second & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 };
            await EnsureAsync(headerLength);
            long length = (second & 0x7F) switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian([.. _buffered.GetRange(2, 2)]),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian([.. _buffered.GetRange(2, 8)]),
                var l => l,
            };

            // The shortest encoding of the length, as RFC 6455 section 5.2 requires.
            Assert.True(headerLength == 2 || (headerLength == 4 ? length >= 126 : length > ushort.MaxValue), $"length {length} in a {headerLength}-byte header");
            await EnsureAsync(headerLength + (int)length);
            byte[] payload = [.. _buffered.GetRange(headerLength, (int)length)];
            _buffered.RemoveRange(0, headerLength + (int)length);
            return (first & 0x0F, payload);
        }

        private int IndexOfHeadEnd()
        {
            for (int i = 0; i + 3 < _buffered.Count; i++)
            {
                if (_buffered[i] == '\r' && _buffered[i + 1] == '\n' && _buffered[i + 2] == '\r' && _buffered[i + 3] == '\n')
                {
                    return i;
                }
            }

            return -1;
        }

        private async Task EnsureAsync(int count)
        {
            while (_buffered.Count < count)
            {
                await FillAsync();
            }
        }

        private async Task FillAsync()
        {
            byte[] chunk = new byte[64 * 1024];
            using var timeout = new CancellationTokenSource(TestClient.DefaultTimeout);
            int read = await stream.ReadAsync(chunk, timeout.Token);
            Assert.True(read > 0, "the server closed the connection");
            _buffered.AddRange(chunk.AsSpan(0, read));
        }
    }
}
