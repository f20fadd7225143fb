using System.Buffers;
using BenchmarkDotNet.Attributes;
using ChatKit.Fanout;
using ChatKit.Ids;
using ChatKit.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace ChatKit.Benchmarks;

/// <summary>
/// The engine's hot paths on the in-memory store: id generation, commit of a 1:1 message, and a group-of-100 send
/// delivered to 100 live sessions and written out (allocations per operation / 100 = per delivered frame).
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int GroupSize = 100;
    private readonly ArrayBufferWriter<byte> _socket = new(1 << 16);
    private ServiceProvider _services = null!;
    private IChatEngine _engine = null!;
    private SnowflakeIdGenerator _ids = null!;
    private ChatSession[] _sessions = [];
    private string _group = "";
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection()
            .AddChatKit(o =>
            {
                o.RateLimit.PermitsPerSecond = 0;
                o.InboxRetentionCount = 1000;
                o.SessionQueueCapacity = 1 << 16;
            })
            .Services.BuildServiceProvider();
        _engine = _services.GetRequiredService<IChatEngine>();
        _ids = new SnowflakeIdGenerator(1, TimeProvider.System);
        string[] members = Enumerable.Range(1, GroupSize - 1).Select(i => $"m{i}").ToArray();
        _group = _engine.CreateGroupAsync("m0", "bench", members).GetAwaiter().GetResult().Channel.Id;
        SessionManager manager = _services.GetRequiredService<SessionManager>();
        _sessions = Enumerable.Range(0, GroupSize)
            .Select(i => manager.OpenAsync($"m{i}", "d", null).GetAwaiter().GetResult())
            .ToArray();
        Drain();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    /// <summary>One snowflake id.</summary>
    [Benchmark]
    public long NextId() => _ids.NextId();

    /// <summary>A 1:1 send: validation, id, commit with two inbox appends, live delivery (no sessions).</summary>
    [Benchmark]
    public Task<ChatMessage> SendDirect() =>
        _engine.SendAsync(new SendMessageRequest("alice", "phone", "bob", null, "hello there, 100 bytes or so", (++_counter).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A group-of-100 send delivered to 100 sessions, and every session's queue written to a buffer.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public async Task<int> SendGroup100AndWrite()
    {
        await _engine.SendAsync(new SendMessageRequest("m0", "d", null, _group, "hello group", (++_counter).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return Drain();
    }

    private int Drain()
    {
        _socket.ResetWrittenCount();
        int frames = 0;
        foreach (ChatSession s in _sessions)
        {
            while (s.TryRead(out OutgoingFrame frame))
            {
                frame.WriteTo(_socket);
                frames++;
            }

            _socket.ResetWrittenCount();
        }

        return frames;
    }
}
