namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>WebSocket frames as a client puts them on the wire (RFC 6455 section 5.2), for tests that speak raw TCP.</summary>
internal static class ClientFrames
{
    /// <summary>One masked frame of up to 125 bytes: <paramref name="firstByte"/> is FIN and the opcode (0x81 text, 0x88 close, 0x89 ping).</summary>
    public static byte[] Masked(byte firstByte, byte[] payload)
    {
        Assert.True(payload.Length < 126);
        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = firstByte;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }
}
