namespace ChatKit.Client.Internal;

/// <summary>The connection a request was sent on closed before the reply arrived.</summary>
internal sealed class ConnectionLostException : Exception
{
    public ConnectionLostException()
        : base("The connection closed before the reply arrived.")
    {
    }

    public ConnectionLostException(string message)
        : base(message)
    {
    }

    public ConnectionLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
