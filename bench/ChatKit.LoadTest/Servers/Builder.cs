using System.Diagnostics;

namespace ChatKit.LoadTest.Servers;

/// <summary>Builds the servers a run needs (Release), once, before anything is measured.</summary>
internal static class Builder
{
    public static void Build(IEnumerable<Target> targets)
    {
        foreach (var target in targets.Distinct())
        {
            switch (target)
            {
                case Target.ChatKit or Target.ChatKitLiteDb:
                    if (!File.Exists(RepoPaths.ChatKitServerProject))
                    {
                        throw new InvalidOperationException(
                            $"The ChatKit sample server is not in this tree ({RepoPaths.ChatKitServerProject}). Merge main once it has landed, or measure the baselines against each other with --target.");
                    }

                    DotnetBuild(RepoPaths.ChatKitServerProject);
                    break;
                case Target.SignalR:
                    DotnetBuild(RepoPaths.SignalRProject);
                    break;
                case Target.Relay:
                    DotnetBuild(RepoPaths.RelayProject);
                    break;
                case Target.SocketIo:
                    if (!Directory.Exists(Path.Combine(RepoPaths.SocketIoDirectory, "node_modules", "socket.io")))
                    {
                        Run("npm", RepoPaths.SocketIoDirectory, "ci", "--no-audit", "--no-fund");
                    }

                    break;
            }
        }
    }

    private static void DotnetBuild(string project)
    {
        Console.WriteLine($"build {Path.GetFileNameWithoutExtension(project)} (Release)");
        Run("dotnet", RepoPaths.Root, "build", "-c", "Release", "-nologo", "-v", "q", "-clp:ErrorsOnly", project);
    }

    private static void Run(string fileName, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + fileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', args)} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        }
    }
}
