using System.Text.Json;
using ChatKit.Protocol;
using ChatKit.Protocol.Frames;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>Parses one client frame, and reads its <c>rid</c> even when the rest of it is unreadable.</summary>
internal static class FrameParser
{
    private static readonly HashSet<string> RequestTypes = new(StringComparer.Ordinal)
    {
        FrameTypes.Send, FrameTypes.History, FrameTypes.Sync, FrameTypes.Channels, FrameTypes.GroupCreate,
        FrameTypes.GroupAdd, FrameTypes.GroupRemove, FrameTypes.Read, FrameTypes.Typing, FrameTypes.PresenceSubscribe,
        FrameTypes.PresenceUnsubscribe, FrameTypes.PushRegister, FrameTypes.PushUnregister, FrameTypes.Ping,
    };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = ProtocolLimits.MaxJsonDepth };

    /// <summary>Parses a frame. On failure, <paramref name="error"/> says why and <paramref name="rid"/> holds the rid if one was readable.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out ClientFrame frame, out string? rid, out string? error)
    {
        ClientFrame? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(json, ChatKitJsonContext.Default.ClientFrame);
        }
        catch (JsonException ex)
        {
            frame = null!;
            rid = ScanRid(json);
            error = Describe(ex);
            return false;
        }

        if (parsed is null)
        {
            frame = null!;
            rid = null;
            error = "A frame must be a JSON object.";
            return false;
        }

        frame = parsed;
        rid = IsValidRid(parsed.Rid) ? parsed.Rid : null;
        if (parsed.Rid is not null && rid is null)
        {
            error = $"rid must be a string of 1–{ProtocolLimits.MaxRidLength} characters.";
            return false;
        }

        if (parsed.Type is null)
        {
            error = "A frame needs a string 'type'.";
            return false;
        }

        if (!RequestTypes.Contains(parsed.Type))
        {
            error = $"Unknown frame type '{Truncate(parsed.Type)}'.";
            return false;
        }

        error = null;
        return true;
    }

    public static bool IsValidRid(string? rid) => rid is { Length: > 0 and <= ProtocolLimits.MaxRidLength };

    /// <summary>Finds a top-level string <c>rid</c> before the point where the JSON stops being readable.</summary>
    internal static string? ScanRid(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                {
                    return null;
                }

                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("rid"u8))
                {
                    if (!reader.Read())
                    {
                        return null;
                    }

                    if (reader.TokenType == JsonTokenType.String)
                    {
                        string value = reader.GetString()!;
                        return IsValidRid(value) ? value : null;
                    }

                    return null;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        return null;
    }

    private static string Describe(JsonException ex)
    {
        // The serializer's message names the path and position, never the frame's content.
        string path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
        return ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
            ? $"The frame is nested deeper than {ProtocolLimits.MaxJsonDepth} levels."
            : $"The frame is not a valid request{path}: it must be one JSON object with fields of the documented types.";
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
