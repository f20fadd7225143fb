using System.Text.RegularExpressions;

namespace ChatKit.Transport.WebSockets.Logging;

/// <summary>Replaces the value of <c>access_token</c> query parameters in text with <c>***</c>.</summary>
internal static partial class TokenRedactor
{
    public const string Replacement = "***";

    public static bool MayContainToken(string? text) =>
        text is not null && text.Contains("access_token", StringComparison.OrdinalIgnoreCase);

    public static string Redact(string text) => MayContainToken(text) ? TokenPattern().Replace(text, "$1" + Replacement) : text;

    // The name, possibly percent-encoded as part of a larger URL, then the value up to the next separator.
    [GeneratedRegex(@"(access_token(?:=|%3D))[^&\s""'#]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
