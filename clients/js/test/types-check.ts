// Compiled by `npm run typecheck` only: checks that index.d.ts describes a usable API.
import { ChatKitClient, ChatKitError, ChatKitHttp, MemoryStorage, type Channel, type Message } from '../index.js';

async function example(): Promise<void> {
  const client = new ChatKitClient({ url: 'ws://localhost:5000/chatkit', device: 'web-1', token: async () => 'tok', storage: new MemoryStorage() });
  client.on('message', (m: Message, e) => console.log(m.body, e.seq));
  client.on('state', (s) => console.log(s.state, s.delayMs));
  client.on('presence', (p) => console.log(p.user, p.status === 'online'));
  const welcome = await client.connect();
  console.log(welcome.limits.maxGroupMembers);
  const channels: Channel[] = await client.channels();
  const sent: Message = await client.send({ channel: channels[0].id, body: 'hi' });
  const { messages, hasMore } = await client.history(sent.channel, { before: sent.channelSeq, limit: 20 });
  console.log(messages.length, hasMore);
  try {
    await client.createGroup('g', ['a', 'b']);
  } catch (e) {
    if (e instanceof ChatKitError && e.code === 'too_many_members') console.log(e.message);
  }
  const http = new ChatKitHttp({ baseUrl: 'http://localhost:5000/chatkit', token: 'tok' });
  const page = await http.sync({ device: 'web-1', after: 0, waitMs: 1000 });
  console.log(page.head);
  client.close();
}
void example;
