using Xunit;

namespace ChatKit.Browser.Tests;

/// <summary>
/// A browser test: it needs the sample server project (or a running server named by CHATKIT_BROWSER_TESTS_BASE_URL)
/// and is reported as skipped, with the reason, where neither exists.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Marks a browser test.</summary>
    public BrowserFactAttribute()
    {
        if (!SampleServer.IsExternal
            && !File.Exists(Path.Combine(RepoPaths.Root, "samples", "ChatKit.Samples.Server", "ChatKit.Samples.Server.csproj")))
        {
            Skip = "samples/ChatKit.Samples.Server does not exist yet";
        }
    }
}
