using System.Buffers;
using System.Text;
using System.Text.Json;
using ChatKit.Fanout;
using ChatKit.Protocol;

namespace ChatKit.Tests.Fanout;

public sealed class OutgoingFrameTests
{
    private static readonly byte[] MessageObject =
        """{"id":"7263512809472000001","channel":"d:alice:bob","channelSeq":3,"from":"alice","device":"phone","body":"hi \"bob\"","clientMsgId":"c1","sentAt":1764061200000}"""u8.ToArray();

    [Theory]
    [InlineData("7")]
    [InlineData("req-42_a.b:c/d e")]
    [InlineData("quote\"inside")]
    [InlineData("back\\slash")]
    [InlineData("<script>&'+`")]
    [InlineData("é ü 漢")]
    [InlineData("tab\tand\u0001control")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void A_send_reply_is_written_as_the_bytes_of_SendOk(string rid)
    {
        string written = Write(OutgoingFrame.ForSendOk(rid, MessageObject));

        Assert.Equal(Encoding.UTF8.GetString(ServerFrameWriter.SendOk(rid, MessageObject)), written);
        using JsonDocument doc = JsonDocument.Parse(written);
        Assert.Equal("ok", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(rid, doc.RootElement.GetProperty("rid").GetString());
        Assert.Equal("hi \"bob\"", doc.RootElement.GetProperty("message").GetProperty("body").GetString());
    }

    [Fact]
    public void A_send_reply_without_a_rid_has_no_rid()
    {
        string written = Write(OutgoingFrame.ForSendOk(null, MessageObject));

        Assert.Equal(Encoding.UTF8.GetString(ServerFrameWriter.SendOk(null, MessageObject)), written);
        Assert.StartsWith("{\"type\":\"ok\",\"message\":{", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_frames_and_entries_are_written_as_before()
    {
        Assert.Equal("{\"type\":\"pong\",\"time\":5}", Write(new OutgoingFrame(ServerFrameWriter.Pong(null, 5))));
        Assert.Equal("{\"type\":\"entry\",\"seq\":12,\"kind\":\"x\"}", Write(new OutgoingFrame(12, ",\"kind\":\"x\"}"u8.ToArray())));
    }

    private static string Write(OutgoingFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>();
        frame.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
