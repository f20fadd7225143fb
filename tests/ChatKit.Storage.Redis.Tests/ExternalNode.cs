using System.Collections.Concurrent;
using System.Diagnostics;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>A ChatKit node in its own process (ChatKit.Storage.Redis.TestNode), to be killed like a crashed server.</summary>
public sealed class ExternalNode : IDisposable
{
    private readonly Process _process;

    public ExternalNode(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ChatKit.Storage.Redis.TestNode.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Lines.Enqueue(line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Errors.Enqueue(line);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    public async Task WaitForAsync(Func<ExternalNode, bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition(this))
        {
            if (sw.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException($"Waiting for {what}; the node printed: {string.Join(" | ", Lines.TakeLast(5))} {string.Join(" | ", Errors.TakeLast(10))}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>SIGKILL: no clean shutdown, no goodbye to Redis.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
