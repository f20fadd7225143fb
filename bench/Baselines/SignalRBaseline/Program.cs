using Microsoft.AspNetCore.SignalR;
using SignalRBaseline;

// The chat server a team would write with SignalR plus a little of their own code:
// users from a query-string id (a benchmark stand-in for real authentication),
// Clients.User / Clients.Group for delivery, optional Redis backplane for two nodes,
// and a small in-memory per-user inbox so that a device can catch up after a reconnect.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var signalR = builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024);
var redis = builder.Configuration["Redis"];
if (!string.IsNullOrEmpty(redis))
{
    signalR.AddStackExchangeRedis(redis);
}

builder.Services.AddSingleton<IUserIdProvider, QueryUserIdProvider>();
builder.Services.AddSingleton<Inboxes>();
builder.Services.AddSingleton<PresenceTracker>();
builder.Services.AddSingleton(new DeliveryOptions(string.Equals(builder.Configuration["UserDelivery"], "group", StringComparison.OrdinalIgnoreCase)));

var app = builder.Build();
app.UseWebSockets();
app.MapGet("/", () => "signalr-baseline");
app.MapHub<ChatHub>("/hub");
app.Run();
