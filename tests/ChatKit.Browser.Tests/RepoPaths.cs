namespace ChatKit.Browser.Tests;

/// <summary>Paths in the repository, found from the test assembly's folder.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatKit.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ChatKit.slnx not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root (the folder of ChatKit.slnx).</summary>
    public static string Root => RootPath.Value;

    /// <summary>Where screenshots of failed tests go: artifacts/browser-tests under the root.</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts", "browser-tests");
}
