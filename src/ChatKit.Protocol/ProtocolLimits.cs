namespace ChatKit.Protocol;

/// <summary>Fixed limits of protocol version 1.</summary>
public static class ProtocolLimits
{
    /// <summary>The subprotocol a client may offer; the server echoes it.</summary>
    public const string SubProtocol = "chatkit.v1";
    /// <summary>Deepest JSON nesting accepted in a frame; deeper input is a <c>bad_request</c>.</summary>
    public const int MaxJsonDepth = 32;
    /// <summary>Longest request id.</summary>
    public const int MaxRidLength = 64;
    /// <summary>Longest device name.</summary>
    public const int MaxDeviceLength = 64;
    /// <summary>Longest client message id.</summary>
    public const int MaxClientMsgIdLength = 64;
    /// <summary>Longest group name.</summary>
    public const int MaxGroupNameLength = 100;
    /// <summary>Most users one session may subscribe to for presence.</summary>
    public const int MaxPresenceSubscriptions = 1000;
    /// <summary>Largest <c>history</c> page.</summary>
    public const int MaxHistoryLimit = 200;
    /// <summary>Default <c>history</c> page.</summary>
    public const int DefaultHistoryLimit = 50;
    /// <summary>Largest <c>sync</c> page.</summary>
    public const int MaxSyncLimit = 1000;
    /// <summary>Default <c>sync</c> page.</summary>
    public const int DefaultSyncLimit = 500;
    /// <summary>Longest long-poll wait.</summary>
    public const int MaxWaitMs = 30000;
    /// <summary>Consecutive bad frames after which the server closes with 1008.</summary>
    public const int MaxConsecutiveBadFrames = 10;

    /// <summary>
    /// Whether <paramref name="device"/> is a valid device name: 1–64 characters of <c>A–Z a–z 0–9 . _ -</c>.
    /// </summary>
    /// <param name="device">The candidate.</param>
    public static bool IsValidDevice(string? device) => IsToken(device, MaxDeviceLength, allowAt: false);

    /// <summary>
    /// Whether <paramref name="user"/> is a valid user id: 1–64 characters of <c>A–Z a–z 0–9 . _ - @ +</c>.
    /// </summary>
    /// <remarks>
    /// The alphabet is closed so that ids can be embedded in channel ids, URLs and Redis hash tags unescaped.
    /// </remarks>
    /// <param name="user">The candidate.</param>
    public static bool IsValidUserId(string? user) => IsToken(user, 64, allowAt: true);

    private static bool IsToken(string? value, int maxLength, bool allowAt)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }

        foreach (char c in value)
        {
            bool ok = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' || (allowAt && c is '@' or '+');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
