namespace ChatKit.Specification;

/// <summary>Releases whatever a specification created, however it is disposable.</summary>
internal static class Disposal
{
    public static ValueTask DisposeAsync(object? instance)
    {
        switch (instance)
        {
            case IAsyncDisposable a:
                return a.DisposeAsync();
            case IDisposable d:
                d.Dispose();
                break;
        }

        return default;
    }
}
