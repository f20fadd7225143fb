using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ChatKit.Messaging;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;
using ChatKit.Sync;

namespace ChatKit.Benchmarks;

/// <summary>Encoding a message once, wrapping it per recipient, and decoding a client frame.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private byte[] _sendFrame = [];
    private InboxItem _item = null!;
    private ChatMessage _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        string body = new('x', 100);
        _message = new ChatMessage(7263512809472000001, "g-19", 17, "alice", "phone", body, null, "b1f0", DateTimeOffset.UnixEpoch);
        _item = InboxItem.ForMessage(_message);
        _item.GetEntryTail();
        _sendFrame = Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"rid\":\"7\",\"channel\":\"g-19\",\"body\":\"{body}\",\"clientMsgId\":\"b1f0\"}}");
    }

    /// <summary>Serializing a message object: done once per message, shared by every recipient.</summary>
    [Benchmark]
    public int EncodeMessageOnce()
    {
        var fresh = new ChatMessage(_message.Id, _message.ChannelId, _message.ChannelSeq, _message.From, _message.Device, _message.Body, null, _message.ClientMsgId, _message.SentAt);
        return InboxItem.ForMessage(fresh).GetEntryTail().Length;
    }

    /// <summary>The per-recipient cost: the entry prefix with its seq, and the shared tail copied after it.</summary>
    [Benchmark]
    public int WriteEntryPerRecipient()
    {
        _output.ResetWrittenCount();
        ServerFrameWriter.WriteEntry(_output, 42, _item.GetEntryTail().Span);
        return _output.WrittenCount;
    }

    /// <summary>Decoding a client's send frame with the source-generated context.</summary>
    [Benchmark]
    public string? DecodeSendFrame() => JsonSerializer.Deserialize(_sendFrame, ChatKitJsonContext.Default.ClientFrame)?.Body;
}
