using Xunit;

namespace ChatKit.Browser.Tests;

/// <summary>
/// A browser test: it drives the sample server's web chat in headless Chromium (the server started by the test from
/// samples/ChatKit.Samples.Server, or a running one named by CHATKIT_BROWSER_TESTS_BASE_URL). It is never skipped: a
/// missing server or browser fails it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute;
