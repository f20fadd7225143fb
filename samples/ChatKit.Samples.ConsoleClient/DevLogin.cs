using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace ChatKit.Samples.ConsoleClient;

/// <summary>The sample server's development login: <c>POST /dev/token {"user":"alice"}</c> → <c>{"token":"..."}</c>.</summary>
internal static class DevLogin
{
    public static async Task<string> GetTokenAsync(HttpClient http, Uri server, string user, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync(
            new Uri(server, "/dev/token"), new TokenRequest { User = user }, ConsoleJsonContext.Default.TokenRequest, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"POST {new Uri(server, "/dev/token")} answered {(int)response.StatusCode}; is the server running with ASPNETCORE_ENVIRONMENT=Development?");
        }

        TokenResponse? body = await response.Content.ReadFromJsonAsync(ConsoleJsonContext.Default.TokenResponse, cancellationToken).ConfigureAwait(false);
        return body?.Token ?? throw new InvalidOperationException("The development login returned no token.");
    }

    internal sealed class TokenRequest
    {
        [JsonPropertyName("user")] public string User { get; set; } = "";
    }

    internal sealed class TokenResponse
    {
        [JsonPropertyName("token")] public string? Token { get; set; }
    }
}
