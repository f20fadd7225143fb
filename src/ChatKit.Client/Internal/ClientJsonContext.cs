using System.Text.Json.Serialization;

namespace ChatKit.Client.Internal;

/// <summary>Source-generated JSON metadata for the client's own HTTP bodies.</summary>
[JsonSerializable(typeof(DiscoveryResponse))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
