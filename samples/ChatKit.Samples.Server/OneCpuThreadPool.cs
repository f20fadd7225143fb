namespace ChatKit.Samples.Server;

/// <summary>
/// The host's thread pool on a node that may use one CPU: one worker thread. A second worker could never run beside
/// the first there; the pool still wakes one each time work arrives while the first is busy, only for it to find the
/// work taken and sleep again; on one core those wake-ups cost a tenth to a quarter of the CPU per 1:1 message. See
/// docs/configuration.md, "The host's runtime: one thread-pool worker on a one-CPU node".
/// </summary>
internal static class OneCpuThreadPool
{
    /// <summary>Caps the pool at one worker when the process may use one CPU; otherwise leaves it alone.</summary>
    /// <remarks>
    /// Process-wide, so it belongs to the host's entry point (not to <see cref="SampleServer.Build"/>, which tests
    /// call in their own processes).
    /// </remarks>
    public static void Apply()
    {
        if (Environment.ProcessorCount != 1)
        {
            return;
        }

        // SetMaxThreads refuses (returns false) a maximum below the minimum: a host that raised the minimum above one
        // keeps its pool as it set it.
        ThreadPool.GetMaxThreads(out _, out int completionPortThreads);
        ThreadPool.SetMaxThreads(1, completionPortThreads);
    }
}
