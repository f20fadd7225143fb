using System.Globalization;
using System.Text.Json;
using ChatKit.Protocol;
using Microsoft.AspNetCore.Http;

namespace ChatKit.Transport.WebSockets.Internal;

/// <summary>Writes JSON bodies and the protocol's HTTP errors (PROTOCOL.md section 8).</summary>
internal static class HttpResults
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> writeProperties)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteRawAsync(HttpContext context, ReadOnlyMemory<byte> json)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = json.Length;
        await context.Response.BodyWriter.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext context, string code, string message, long? retryAfterMs = null)
    {
        if (retryAfterMs is long ms)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(ms / 1000.0)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(context, ErrorCodes.ToHttpStatus(code), w =>
        {
            w.WriteString("code"u8, code);
            w.WriteString("message"u8, message);
            if (retryAfterMs is long retry)
            {
                w.WriteNumber("retryAfterMs"u8, retry);
            }
        });
    }

    public static Task WriteErrorAsync(HttpContext context, ChatException ex) =>
        WriteErrorAsync(context, ex.WireCode, ex.Message, ReplyWriter.RetryAfterMs(ex));
}
