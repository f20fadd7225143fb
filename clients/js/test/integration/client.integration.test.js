// The client against the real sample server, started by this file (see sample-server.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsWebSocket } from 'ws';
import { ChatKitClient, ChatKitHttp, MemoryStorage, newClientMsgId } from '../../index.js';
import { skipReason, startSampleServer } from './sample-server.js';

const MAX_GROUP = 3;
const reason = skipReason();
let server;
const clients = [];

before(async () => {
  if (reason) return;
  server = await startSampleServer([`--ChatKit:MaxGroupMembers=${MAX_GROUP}`, '--ChatKit:PresenceGracePeriod=00:00:01']);
});

after(async () => {
  for (const c of clients) c.close();
  if (server) await server.stop();
});

let n = 0;
const uniq = (name) => `${name}-${process.pid}-${++n}`;

async function connect(user, { device = 'd1', storage = new MemoryStorage(), open = true } = {}) {
  const token = await server.token(user);
  const c = new ChatKitClient({ url: server.ws, device, token, storage, WebSocket: globalThis.WebSocket || WsWebSocket, backoff: { initialMs: 50, maxMs: 500 } });
  clients.push(c);
  if (open) await c.connect();
  return c;
}

function collect(client, type) {
  const items = [];
  client.on(type, (x) => items.push(x));
  return items;
}

async function until(pred, what, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Under CI a missing server is a failure, not a skip: the test command builds it first.
const it = (name, fn) => test(name, { skip: (process.env.CI ? false : reason) || false }, fn);

it('welcome names the user and device and gives limits', async () => {
  const alice = uniq('alice');
  const c = await connect(alice, { device: 'phone' });
  assert.equal(c.welcome.user, alice);
  assert.equal(c.welcome.device, 'phone');
  assert.equal(c.welcome.limits.maxGroupMembers, MAX_GROUP);
  assert.ok(c.welcome.heartbeatMs > 0);
  assert.equal(typeof (await c.ping()), 'number');
});

it('a direct message reaches the other user and the sender\'s other device, once each', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a1 = await connect(alice, { device: 'a1' });
  const a2 = await connect(alice, { device: 'a2' });
  const b = await connect(bob);
  const bobGot = collect(b, 'message');
  const a2Got = collect(a2, 'message');
  const sent = await a1.send({ to: bob, body: 'hello bob' });
  assert.equal(sent.from, alice);
  assert.equal(sent.device, 'a1');
  assert.equal(typeof sent.id, 'string');
  await until(() => bobGot.length === 1 && a2Got.length === 1, 'delivery');
  assert.equal(bobGot[0].id, sent.id);
  assert.equal(a2Got[0].id, sent.id);
  const reply = await b.send({ channel: sent.channel, body: 'hi alice' });
  assert.equal(reply.channelSeq, sent.channelSeq + 1);
  await until(() => a2Got.length === 2, 'reply');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(bobGot.length, 2);
});

it('a reconnecting device gets exactly the messages it missed, in order, from its cursor', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a = await connect(alice);
  const storage = new MemoryStorage();
  const b1 = await connect(bob, { storage });
  const first = await a.send({ to: bob, body: 'before' });
  await until(() => b1.cursor >= 1, 'first entry');
  const cursor = b1.cursor;
  b1.close();
  for (let i = 1; i <= 5; i++) await a.send({ channel: first.channel, body: 'missed ' + i });
  const b2 = await connect(bob, { storage, open: false });
  const got = collect(b2, 'message');
  await b2.connect();
  await until(() => got.length >= 5, 'backlog');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(got.map((m) => m.body), ['missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5']);
  assert.equal(b2.cursor, cursor + 5);
});

it('sending again with the same clientMsgId stores and delivers nothing new', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a = await connect(alice);
  const b = await connect(bob);
  const got = collect(b, 'message');
  const clientMsgId = newClientMsgId();
  const m1 = await a.send({ to: bob, body: 'once', clientMsgId });
  const m2 = await a.send({ to: bob, body: 'once', clientMsgId });
  assert.equal(m2.id, m1.id);
  await until(() => got.length === 1, 'delivery');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got.length, 1);
});

it('history pages backwards with before and hasMore', async () => {
  const alice = uniq('alice');
  const a = await connect(alice);
  const first = await a.send({ to: uniq('bob'), body: 'm1' });
  for (let i = 2; i <= 7; i++) await a.send({ channel: first.channel, body: 'm' + i });
  const page1 = await a.history(first.channel, { limit: 4 });
  assert.deepEqual(page1.messages.map((m) => m.body), ['m4', 'm5', 'm6', 'm7']);
  assert.equal(page1.hasMore, true);
  const page2 = await a.history(first.channel, { before: page1.messages[0].channelSeq, limit: 4 });
  assert.deepEqual(page2.messages.map((m) => m.body), ['m1', 'm2', 'm3']);
  assert.equal(page2.hasMore, false);
});

it('channels counts unread; read clears it on other devices and sends a receipt to the sender', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a = await connect(alice);
  const b1 = await connect(bob, { device: 'b1' });
  const b2 = await connect(bob, { device: 'b2' });
  const receipts = collect(a, 'receipt');
  const reads = collect(b2, 'read');
  const m = await a.send({ to: bob, body: 'x' });
  await a.send({ channel: m.channel, body: 'y' });
  let list = await b1.channels();
  const ch = list.find((c) => c.id === m.channel);
  assert.equal(ch.kind, 'direct');
  assert.equal(ch.unread, 2);
  assert.equal(ch.lastMessage.body, 'y');
  assert.deepEqual([...ch.members].sort(), [alice, bob].sort());
  await b1.markRead(m.channel, ch.lastSeq);
  await until(() => reads.length === 1 && receipts.length === 1, 'read entry and receipt');
  assert.equal(reads[0].upTo, ch.lastSeq);
  assert.equal(receipts[0].user, bob);
  list = await b2.channels();
  assert.equal(list.find((c) => c.id === m.channel).unread, 0);
});

it('typing goes to the other members, not to the typist', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a = await connect(alice);
  const b = await connect(bob);
  const m = await a.send({ to: bob, body: 'x' });
  const bobTyping = collect(b, 'typing');
  const aliceTyping = collect(a, 'typing');
  a.typing(m.channel);
  await until(() => bobTyping.length === 1, 'typing');
  assert.equal(bobTyping[0].user, alice);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(aliceTyping.length, 0);
});

it('presence: subscribers see online, then offline after a clean close', async () => {
  const alice = uniq('alice');
  const bob = uniq('bob');
  const a = await connect(alice);
  const events = collect(a, 'presence');
  const [initial] = await a.subscribePresence([bob]);
  assert.equal(initial.status, 'offline');
  const b = await connect(bob);
  await until(() => events.some((e) => e.user === bob && e.status === 'online'), 'online');
  b.close();
  await until(() => events.some((e) => e.user === bob && e.status === 'offline'), 'offline');
  assert.ok(events.at(-1).lastActiveAt > 0);
});

it('a group beyond the member limit is refused with too_many_members', async () => {
  const alice = uniq('alice');
  const a = await connect(alice);
  const others = Array.from({ length: MAX_GROUP }, (_, i) => uniq('m' + i));
  await assert.rejects(a.createGroup('big', others), (e) => e.code === 'too_many_members');
  const members = collect(a, 'member');
  const g = await a.createGroup('fits', others.slice(1));
  assert.equal(g.kind, 'group');
  assert.equal(g.members.length, MAX_GROUP);
  await until(() => members.length === 1, 'member entry');
  assert.equal(members[0].user, alice);
  assert.equal(members[0].change, 'added');
});

it('a non-member cannot write to a channel: forbidden, not retried', async () => {
  const a = await connect(uniq('alice'));
  const m = await a.send({ to: uniq('bob'), body: 'private' });
  const eve = await connect(uniq('eve'));
  await assert.rejects(eve.send({ channel: m.channel, body: 'let me in' }), (e) => e.code === 'forbidden');
  await assert.rejects(eve.history(m.channel), (e) => e.code === 'forbidden');
});

it('a cursor ahead of the head gets reset', async () => {
  const storage = new MemoryStorage();
  storage.setItem('chatkit.cursor.d1', '1000');
  const c = await connect(uniq('alice'), { storage, open: false });
  const resets = collect(c, 'reset');
  await c.connect();
  await until(() => resets.length === 1, 'reset');
  assert.equal(resets[0].head, 0);
  assert.equal(c.cursor, 0);
});

it('HTTP helpers: history and sync with a bearer token', async () => {
  const alice = uniq('alice');
  const a = await connect(alice);
  const m = await a.send({ to: uniq('bob'), body: 'over http too' });
  const http = new ChatKitHttp({ baseUrl: server.http, token: await server.token(alice) });
  const h = await http.history(m.channel, { limit: 10 });
  assert.deepEqual(h.messages.map((x) => x.id), [m.id]);
  const s = await http.sync({ device: 'd1', after: 0 });
  assert.ok(s.entries.some((e) => e.kind === 'message' && e.message.id === m.id));
  const anon = new ChatKitHttp({ baseUrl: server.http });
  await assert.rejects(anon.history(m.channel), (e) => e.status === 401);
});
