using System.Runtime.InteropServices;

namespace ChatKit.Storage.LiteDb.Internal;

/// <summary>
/// Lowers the scheduling priority of the calling thread, so that background work (folding the journal into the
/// file) takes the CPU that requests leave idle instead of delaying them.
/// </summary>
/// <remarks>
/// A materialization is a burst of a few hundred milliseconds of CPU every couple of seconds. On a node with one or two
/// cores, at normal priority the scheduler shares the core evenly between it and the threads answering sends, and
/// every send in that window waits: the load test saw p99 spikes of 100–500 ms at 70–80 % CPU. .NET does not apply
/// <see cref="Thread.Priority"/> on Linux, so this sets the thread's nice value directly (raising it needs no
/// privilege). Elsewhere it is a no-op. If the node is saturated the background work falls behind, and the store's
/// bound on pending writes then slows the writers down: it cannot fall behind without bound.
/// </remarks>
internal static partial class BackgroundPriority
{
    /// <summary>The nice value of background threads: about a tenth of a normal thread's share under contention.</summary>
    public const int Nice = 10;

    private const int PriorityProcess = 0;

    /// <summary>Lowers the current thread's priority; returns whether it did.</summary>
    public static bool LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // On Linux, PRIO_PROCESS with a thread id changes that thread only.
            return SetPriority(PriorityProcess, GetThreadId(), Nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
