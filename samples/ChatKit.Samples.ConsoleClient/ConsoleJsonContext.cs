using System.Text.Json.Serialization;

namespace ChatKit.Samples.ConsoleClient;

/// <summary>Source-generated JSON for the development login.</summary>
[JsonSerializable(typeof(DevLogin.TokenRequest))]
[JsonSerializable(typeof(DevLogin.TokenResponse))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
