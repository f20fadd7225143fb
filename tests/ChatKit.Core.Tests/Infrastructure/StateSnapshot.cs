using System.Text;
using ChatKit.Messaging;

namespace ChatKit.Tests.Infrastructure;

/// <summary>
/// Everything a user could observe of the store, as text: inbox bounds and entries, channels with members, owners,
/// read marks, unread counts and history. Two equal snapshots mean a call changed nothing.
/// </summary>
internal static class StateSnapshot
{
    public static async Task<string> TakeAsync(IMessageStore store, params string[] users)
    {
        var sb = new StringBuilder();
        foreach (string user in users)
        {
            var inbox = await store.ReadInboxAsync(user, 0, 100_000);
            sb.Append(user).Append(" inbox ").Append(inbox.State).AppendLine();
            foreach (var e in inbox.Entries)
            {
                sb.Append("  ").Append(ChatKit.Specification.WireEntry.Of(e)).AppendLine();
            }

            foreach (ChannelSummary s in await store.GetUserChannelsAsync(user))
            {
                ChatChannel c = s.Channel;
                sb.Append("  channel ").Append(c.Id).Append(' ').Append(c.Name).Append(" owner=").Append(c.Owner)
                    .Append(" members=").AppendJoin(',', c.Members).Append(" last=").Append(c.LastSeq)
                    .Append(" read=").Append(s.ReadSeq).Append(" unread=").Append(s.Unread).AppendLine();
                foreach (ChatMessage m in (await store.GetHistoryAsync(c.Id, null, 1000)).Messages)
                {
                    sb.Append("    ").Append(m.ChannelSeq).Append(' ').Append(m.Id).Append(' ').Append(m.From)
                        .Append(' ').Append(m.Body).Append(' ').Append(m.MetaJson).AppendLine();
                }
            }
        }

        return sb.ToString();
    }
}
