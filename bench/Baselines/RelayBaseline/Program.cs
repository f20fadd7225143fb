using RelayBaseline;

// The ceiling of this machine: a raw Kestrel WebSocket endpoint that does nothing but forward
// each frame it receives, unchanged, to the peer user's connections or to a group.
// Frames: "D|user|payload" (to a user's connections and the sender's other connections),
// "G|group|payload" (to every connection in the group), "J|group" (join; answered "j|group").
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<Relay>();
var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
app.MapGet("/", () => "relay-baseline");
app.Map("/relay", async (HttpContext context, Relay relay) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 400;
        return;
    }

    var user = context.Request.Query["user"].ToString();
    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    await relay.RunAsync(user, socket, context.RequestAborted);
});
app.Run();
