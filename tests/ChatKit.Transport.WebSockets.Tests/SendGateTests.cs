using ChatKit.Transport.WebSockets.Internal;

namespace ChatKit.Transport.WebSockets.Tests;

/// <summary>The gate that keeps the connection's messages and the WebSocket's control frames apart on one socket.</summary>
public sealed class SendGateTests
{
    [Fact]
    public async Task A_taken_gate_makes_the_other_writer_wait_until_it_is_left()
    {
        var gate = new SendGate();
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());

        Task waiting = gate.EnterAsync().AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        gate.Exit();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(gate.TryEnter());

        gate.Exit();
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task Two_writers_racing_for_it_are_never_inside_together()
    {
        var gate = new SendGate();
        int inside = 0;
        int overlaps = 0;

        async Task Writer(bool tryFirst)
        {
            for (int i = 0; i < 20_000; i++)
            {
                if (!(tryFirst && gate.TryEnter()))
                {
                    await gate.EnterAsync();
                }

                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                if (i % 64 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inside);
                gate.Exit();
            }
        }

        await Task.WhenAll(Task.Run(() => Writer(true)), Task.Run(() => Writer(false))).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, overlaps);
        Assert.True(gate.TryEnter());
    }
}
