using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ChatKit.Storage.Redis.Tests;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, in a temp directory, with AOF fsync on every write so that a
/// restart keeps every acknowledged write. It runs under a tiny shell watchdog that kills it when the test process
/// goes away, however that happens, so no server outlives the test run.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly string _dir;
    private readonly string[] _extraConfig;
    private Process? _process;

    public RedisServer(int? port = null, params string[] extraConfig)
    {
        Port = port ?? FreePort();
        _extraConfig = extraConfig;
        _dir = Path.Combine(Path.GetTempPath(), "chatkit-redis-" + Port + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(_dir);
        Start();
    }

    public int Port { get; }

    public string EndPoint => "127.0.0.1:" + Port;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Start()
    {
        string conf = Path.Combine(_dir, "redis.conf");
        File.WriteAllLines(conf, new[]
        {
            $"port {Port}", "bind 127.0.0.1", $"dir {_dir}", "save \"\"", "appendonly yes", "appendfsync always",
            "daemonize no", "protected-mode no", "loglevel warning", "logfile redis.log",
        }.Concat(_extraConfig));
        int testPid = Environment.ProcessId;
        var psi = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList =
            {
                "-c",
                $"redis-server {conf} & r=$!; while kill -0 {testPid} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.5; done; kill -9 $r 2>/dev/null",
            },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(psi)!;
        WaitUntil(() => CanConnect(), TimeSpan.FromSeconds(10), $"redis-server on port {Port} did not start");
    }

    /// <summary>Kills the server at once (as a crash would), keeping its data directory.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
        WaitUntil(() => !CanConnect(), TimeSpan.FromSeconds(5), "redis-server did not stop");
    }

    public string Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException(what);
            }

            Thread.Sleep(50);
        }
    }

    private bool CanConnect()
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, Port);
            using NetworkStream s = c.GetStream();
            s.Write("PING\r\n"u8);
            var buf = new byte[64];
            s.ReadTimeout = 1000;
            int n = s.Read(buf);
            return n > 0 && buf[0] == (byte)'+';
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }
}
