namespace ChatKit.Sync;

/// <summary>An entry just appended to <see cref="User"/>'s inbox, to be delivered live.</summary>
/// <param name="User">The inbox owner.</param>
/// <param name="Entry">The entry.</param>
public readonly record struct AppendedEntry(string User, InboxEntry Entry);
