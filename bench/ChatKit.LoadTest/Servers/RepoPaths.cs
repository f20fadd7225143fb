namespace ChatKit.LoadTest.Servers;

/// <summary>Where things are in the repository, found by walking up to Directory.Packages.props.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string ChatKitServerProject => Path.Combine(Root, "samples", "ChatKit.Samples.Server", "ChatKit.Samples.Server.csproj");

    public static string SignalRProject => Path.Combine(Root, "bench", "Baselines", "SignalRBaseline", "SignalRBaseline.csproj");

    public static string RelayProject => Path.Combine(Root, "bench", "Baselines", "RelayBaseline", "RelayBaseline.csproj");

    public static string SocketIoDirectory => Path.Combine(Root, "bench", "Baselines", "socketio-baseline");

    public static string ArtifactsDirectory => Path.Combine(Root, "artifacts", "bench");

    public static string OutputDll(string project)
        => Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", Path.GetFileNameWithoutExtension(project) + ".dll");

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir.FullName, "bench")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (a folder with Directory.Packages.props and bench/). Run from inside the repository.");
    }
}
