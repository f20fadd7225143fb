namespace ChatKit.Fanout;

/// <summary>
/// Where the users of the entries being delivered have sessions, as the fan-out's append script read it atomically
/// with the append. Flows from the fan-out worker through <c>IInboxAppendListener</c> into
/// <see cref="RedisChatBus.PublishEntriesAsync"/> on the same async path, so routing costs no extra Redis command.
/// </summary>
internal static class RouteHints
{
    private static readonly AsyncLocal<Dictionary<string, string[]>?> CurrentHints = new();

    public static Dictionary<string, string[]>? Current
    {
        get => CurrentHints.Value;
        set => CurrentHints.Value = value;
    }
}
