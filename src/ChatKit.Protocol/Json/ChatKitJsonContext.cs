using System.Text.Json.Serialization;
using ChatKit.Protocol.Frames;

namespace ChatKit.Protocol;

/// <summary>Source-generated System.Text.Json metadata for every protocol type (no reflection at run time).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    MaxDepth = ProtocolLimits.MaxJsonDepth)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ServerFrame))]
[JsonSerializable(typeof(WireMessage))]
[JsonSerializable(typeof(WireChannel))]
[JsonSerializable(typeof(WirePresence))]
[JsonSerializable(typeof(WireLimits))]
[JsonSerializable(typeof(HttpError))]
public sealed partial class ChatKitJsonContext : JsonSerializerContext;
