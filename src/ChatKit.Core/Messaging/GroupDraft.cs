namespace ChatKit.Messaging;

/// <summary>A validated group the engine asks a store to create.</summary>
/// <param name="ChannelId">The new group's id.</param>
/// <param name="Name">The name.</param>
/// <param name="Owner">The creator, who is the first member.</param>
/// <param name="Members">All members, the owner first, without duplicates.</param>
/// <param name="CreatedAt">The server clock.</param>
public sealed record GroupDraft(string ChannelId, string Name, string Owner, IReadOnlyList<string> Members, DateTimeOffset CreatedAt);
