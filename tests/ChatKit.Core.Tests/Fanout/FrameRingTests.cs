using ChatKit.Fanout;

namespace ChatKit.Tests.Fanout;

/// <summary>The ring a session keeps its outgoing frames in.</summary>
public sealed class FrameRingTests
{
    [Fact]
    public void Frames_come_out_in_order_across_wrap_arounds_and_growth_and_never_past_the_capacity()
    {
        var ring = new FrameRing();
        long next = 1;
        long expected = 1;

        // Interleaved: the ring wraps around while partly full, then grows from a wrapped state.
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 3 + (round % 7); i++)
            {
                if (ring.Count < 40)
                {
                    Assert.True(ring.TryEnqueue(new OutgoingFrame(next++, new byte[] { 1 }), capacity: 40));
                }
            }

            for (int i = 0; i < 2 + (round % 5) && ring.TryDequeue(out OutgoingFrame frame); i++)
            {
                Assert.Equal(expected++, frame.Seq);
            }
        }

        while (ring.TryEnqueue(new OutgoingFrame(next, new byte[] { 1 }), capacity: 40))
        {
            next++;
        }

        Assert.Equal(40, ring.Count);
        while (ring.TryDequeue(out OutgoingFrame frame))
        {
            Assert.Equal(expected++, frame.Seq);
        }

        Assert.Equal(next, expected);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void A_frame_taken_out_is_no_longer_held_by_the_ring()
    {
        var ring = new FrameRing();
        WeakReference payload = Enqueue(ref ring);
        Dequeue(ref ring);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(payload.IsAlive);
        Assert.True(ring.TryEnqueue(new OutgoingFrame(2, new byte[] { 2 }), capacity: 4));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Enqueue(ref FrameRing ring)
    {
        byte[] bytes = new byte[1000];
        Assert.True(ring.TryEnqueue(new OutgoingFrame(1, bytes), capacity: 4));
        return new WeakReference(bytes);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Dequeue(ref FrameRing ring) => Assert.True(ring.TryDequeue(out _));
}
