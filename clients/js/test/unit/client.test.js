import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ChatKitClient, ChatKitError, MemoryStorage, backoffDelay, splitFrames, newClientMsgId } from '../../index.js';
import { startFakeServer, entry, until } from './fake-server.js';

function makeClient(server, extra = {}) {
  return new ChatKitClient({
    url: server.url,
    device: 'tab-1',
    token: 'tok en',
    WebSocket,
    storage: new MemoryStorage(),
    backoff: { initialMs: 10, maxMs: 50 },
    requestTimeoutMs: 2000,
    ...extra,
  });
}

test('connects without a cursor, offers chatkit.v1, sends the token and keeps head as the cursor', async (t) => {
  const server = await startFakeServer({ head: 41 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  const welcomeP = client.connect();
  const c = await conn;
  assert.equal(c.url.searchParams.get('device'), 'tab-1');
  assert.equal(c.url.searchParams.get('access_token'), 'tok en');
  assert.equal(c.url.searchParams.has('after'), false);
  assert.equal(c.protocol, 'chatkit.v1');
  c.welcome();
  const welcome = await welcomeP;
  assert.equal(welcome.head, 41);
  assert.equal(client.state, 'open');
  assert.equal(client.cursor, 41);
  await until(() => client.storage.getItem('chatkit.cursor.tab-1') === '41');
});

test('resumes from the stored cursor, applies entries in order once, and drops duplicates', async (t) => {
  const server = await startFakeServer({ head: 5 });
  t.after(() => server.close());
  const storage = new MemoryStorage();
  storage.setItem('chatkit.cursor.tab-1', '2');
  const client = makeClient(server, { storage });
  t.after(() => client.close());
  const seen = [];
  const dups = [];
  client.on('message', (m, e) => seen.push([e.seq, m.body]));
  client.on('duplicate', (e) => dups.push(e.seq));
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  assert.equal(c.url.searchParams.get('after'), '2');
  c.welcome();
  c.send(entry(2));
  c.send(entry(3));
  c.send(entry(3));
  c.send(entry(4));
  await until(() => client.cursor === 4);
  assert.deepEqual(seen, [[3, 'm3'], [4, 'm4']]);
  assert.deepEqual(dups, [2, 3]);
  await until(() => storage.getItem('chatkit.cursor.tab-1') === '4');
});

test('reads several frames packed in one WebSocket message', async (t) => {
  const server = await startFakeServer({ head: 0 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const kinds = [];
  client.on('entry', (e) => kinds.push(e.kind));
  const typing = [];
  client.on('typing', (e) => typing.push(e.user));
  const conn = server.nextConnection();
  const welcomeP = client.connect();
  const c = await conn;
  c.sendPacked([
    { type: 'welcome', user: 'alice', device: 'tab-1', session: 's', node: 'n1', head: 0, heartbeatMs: 15000, limits: {} },
    entry(1),
    { type: 'entry', seq: 2, kind: 'read', channel: 'd-alice-bob', upTo: 1 },
    { type: 'entry', seq: 3, kind: 'member', channel: 'g-1', user: 'alice', change: 'added', by: 'alice' },
    { type: 'typing', channel: 'd-alice-bob', user: 'bob' },
  ]);
  await welcomeP;
  await until(() => client.cursor === 3);
  assert.deepEqual(kinds, ['message', 'read', 'member']);
  assert.deepEqual(typing, ['bob']);
});

test('typed events: receipt, presence, read, member', async (t) => {
  const server = await startFakeServer({ head: 0 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const got = {};
  for (const type of ['receipt', 'presence', 'read', 'member']) client.on(type, (e) => (got[type] = e));
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  c.send({ type: 'receipt', channel: 'g-19', user: 'bob', upTo: 17 });
  c.send({ type: 'presence', user: 'bob', status: 'online', lastActiveAt: 5 });
  c.send({ type: 'entry', seq: 1, kind: 'read', channel: 'g-19', upTo: 17 });
  c.send({ type: 'entry', seq: 2, kind: 'member', channel: 'g-19', user: 'dave', change: 'added', by: 'alice' });
  await until(() => got.member);
  assert.equal(got.receipt.upTo, 17);
  assert.equal(got.presence.status, 'online');
  assert.equal(got.read.channel, 'g-19');
  assert.equal(got.member.user, 'dave');
});

test('matches replies to requests by rid, in any order, and turns error frames into ChatKitError', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const h = client.history('g-1', { before: 10, limit: 2 });
  const g = client.createGroup('big', ['x']);
  const fh = await c.nextFrame((f) => f.type === 'history');
  const fg = await c.nextFrame((f) => f.type === 'group.create');
  assert.equal(fh.before, 10);
  assert.equal(fh.limit, 2);
  assert.notEqual(fh.rid, fg.rid);
  c.send({ type: 'error', rid: fg.rid, code: 'too_many_members', message: 'a group has at most 100 members' });
  c.send({ type: 'ok', rid: fh.rid, messages: [entry(8).message, entry(9).message], hasMore: true });
  const r = await h;
  assert.equal(r.messages.length, 2);
  assert.equal(r.hasMore, true);
  await assert.rejects(g, (e) => e instanceof ChatKitError && e.code === 'too_many_members' && /at most 100/.test(e.message));
});

test('a request without a reply times out', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  client.connect();
  (await conn).welcome();
  await client.whenOpen();
  await assert.rejects(client.request('channels', {}, { timeoutMs: 50 }), (e) => e.code === 'timeout');
});

test('reconnects after a drop with backoff and resumes from the cursor', async (t) => {
  const server = await startFakeServer({ head: 0 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const states = [];
  client.on('state', (s) => states.push(s.state));
  let conn = server.nextConnection();
  client.connect();
  let c = await conn;
  c.welcome();
  c.send(entry(1));
  c.send(entry(2));
  await until(() => client.cursor === 2);
  conn = server.nextConnection();
  c.ws.terminate();
  c = await conn;
  assert.equal(c.url.searchParams.get('after'), '2');
  server.head = 3;
  c.welcome();
  c.send(entry(3));
  await until(() => client.cursor === 3);
  assert.deepEqual(states, ['connecting', 'open', 'reconnecting', 'open']);
});

test('send retries with the same clientMsgId after the connection drops', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  let conn = server.nextConnection();
  client.connect();
  let c = await conn;
  c.welcome();
  await client.whenOpen();
  const sent = client.send({ to: 'bob', body: 'hello' });
  const first = await c.nextFrame((f) => f.type === 'send');
  conn = server.nextConnection();
  c.ws.terminate(); // the reply is lost
  c = await conn;
  c.welcome();
  const second = await c.nextFrame((f) => f.type === 'send');
  assert.equal(second.clientMsgId, first.clientMsgId);
  assert.equal(second.to, 'bob');
  assert.equal(second.body, 'hello');
  c.send({ type: 'ok', rid: second.rid, message: { ...entry(1).message, body: 'hello', clientMsgId: second.clientMsgId } });
  const m = await sent;
  assert.equal(m.clientMsgId, first.clientMsgId);
});

test('send waits out rate_limited and retries with the same clientMsgId', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const sent = client.send({ channel: 'g-1', body: 'x', clientMsgId: 'mine-1' });
  const first = await c.nextFrame((f) => f.type === 'send');
  const t0 = Date.now();
  c.send({ type: 'error', rid: first.rid, code: 'rate_limited', message: 'slow down', retryAfterMs: 60 });
  const second = await c.nextFrame((f) => f.type === 'send');
  assert.ok(Date.now() - t0 >= 50);
  assert.equal(second.clientMsgId, 'mine-1');
  c.send({ type: 'ok', rid: second.rid, message: entry(1).message });
  await sent;
});

test('send does not retry a forbidden message', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const sent = client.send({ channel: 'g-9', body: 'x' });
  const f = await c.nextFrame((x) => x.type === 'send');
  c.send({ type: 'error', rid: f.rid, code: 'forbidden', message: 'alice is not a member of g-9' });
  await assert.rejects(sent, (e) => e.code === 'forbidden');
});

test('an idle connection sends ping every heartbeatMs; a busy one does not', async (t) => {
  const server = await startFakeServer({ heartbeatMs: 80 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const ping = await c.nextFrame((f) => f.type === 'ping');
  c.send({ type: 'pong', rid: ping.rid, time: 1 });
  // Keep it busy with typing frames: no ping while frames flow.
  const until2 = Date.now() + 200;
  while (Date.now() < until2) {
    client.typing('g-1');
    await new Promise((r) => setTimeout(r, 20));
  }
  const pings = c.frames.filter((f) => f.type === 'ping').length;
  assert.equal(pings, 1);
});

test('no pong means a dead connection: the client reconnects', async (t) => {
  const server = await startFakeServer({ heartbeatMs: 40 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  let conn = server.nextConnection();
  client.connect();
  const c = await conn;
  conn = server.nextConnection();
  c.welcome();
  await c.nextFrame((f) => f.type === 'ping'); // never answered
  const c2 = await conn;
  c2.welcome();
  await until(() => client.state === 'open' && client.welcome.session !== 's-1');
});

test('reset moves the cursor to head and tells the app', async (t) => {
  const server = await startFakeServer({ head: 3 });
  t.after(() => server.close());
  const storage = new MemoryStorage();
  storage.setItem('chatkit.cursor.tab-1', '99');
  const client = makeClient(server, { storage });
  t.after(() => client.close());
  const resets = [];
  client.on('reset', (r) => resets.push(r.head));
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  c.send({ type: 'reset', head: 3 });
  c.send(entry(4));
  await until(() => client.cursor === 4);
  assert.deepEqual(resets, [3]);
});

test('a gap is filled with sync before later entries are applied', async (t) => {
  const server = await startFakeServer({ head: 0 });
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const seqs = [];
  client.on('entry', (e) => seqs.push(e.seq));
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  c.send(entry(1));
  c.send(entry(4));
  c.send(entry(5));
  const sync = await c.nextFrame((f) => f.type === 'sync');
  assert.equal(sync.after, 1);
  c.send({ type: 'ok', rid: sync.rid, entries: [entry(2), entry(3), entry(4)], head: 5, hasMore: false });
  await until(() => client.cursor === 5);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
});

test('drain then 1012: reconnects after retryAfterMs', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server, { backoff: { initialMs: 5000, maxMs: 5000 }, random: () => 0 });
  t.after(() => client.close());
  let conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const drains = [];
  client.on('drain', (d) => drains.push(d.retryAfterMs));
  conn = server.nextConnection();
  const t0 = Date.now();
  c.send({ type: 'drain', retryAfterMs: 30 });
  c.ws.close(1012, 'draining');
  const c2 = await conn;
  const waited = Date.now() - t0;
  assert.ok(waited >= 25 && waited < 2000, `waited ${waited} ms`);
  assert.deepEqual(drains, [30]);
  c2.welcome();
  await client.whenOpen();
});

test('close() ends with 1000, fails pending requests and stops reconnecting', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  const pending = client.channels();
  await c.nextFrame((f) => f.type === 'channels');
  client.close();
  await assert.rejects(pending, (e) => e.code === 'closed');
  const closed = await c.closed;
  assert.equal(closed.code, 1000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.connections.length, 1);
  assert.equal(client.state, 'closed');
});

test('requests made while reconnecting wait for the new session', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server, { backoff: { initialMs: 50, maxMs: 50 } });
  t.after(() => client.close());
  let conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  await client.whenOpen();
  conn = server.nextConnection();
  c.ws.terminate();
  await until(() => client.state === 'reconnecting');
  const r = client.channels();
  const c2 = await conn;
  c2.welcome();
  const f = await c2.nextFrame((x) => x.type === 'channels');
  c2.send({ type: 'ok', rid: f.rid, channels: [{ id: 'g-1' }] });
  assert.deepEqual((await r).map((x) => x.id), ['g-1']);
});

test('a throwing handler does not stop the cursor or later handlers', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const client = makeClient(server);
  t.after(() => client.close());
  const errors = [];
  client.on('handlerError', (e) => errors.push(e.message));
  client.on('message', () => {
    throw new Error('boom');
  });
  const later = [];
  client.on('message', (m) => later.push(m.channelSeq));
  const conn = server.nextConnection();
  client.connect();
  const c = await conn;
  c.welcome();
  c.send(entry(1));
  await until(() => client.cursor === 1);
  assert.deepEqual(errors, ['boom']);
  assert.deepEqual(later, [1]);
});

test('backoff grows exponentially, is capped, and is jittered', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
  assert.equal(backoffDelay(0, o, () => 1), 100);
  assert.equal(backoffDelay(0, o, () => 0), 50);
  assert.equal(backoffDelay(3, o, () => 1), 800);
  assert.equal(backoffDelay(10, o, () => 1), 1000);
  assert.equal(backoffDelay(10, o, () => 0), 500);
});

test('splitFrames skips blank lines and reports bad ones', () => {
  const frames = splitFrames('{"type":"a"}\n\n{"type":"b"}\nnot json\n[1]');
  assert.equal(frames[0].type, 'a');
  assert.equal(frames[1].type, 'b');
  assert.ok(frames[2].error);
  assert.ok(frames[3].error);
});

test('clientMsgIds are unique and within 64 characters', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newClientMsgId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.ok(id.length >= 1 && id.length <= 64);
});

test('rejects a bad device name and a missing WebSocket with a sentence that says the fix', () => {
  assert.throws(() => new ChatKitClient({ url: 'ws://x/chatkit', device: 'bad device', WebSocket }), /A-Z a-z 0-9/);
  const saved = globalThis.WebSocket;
  try {
    globalThis.WebSocket = undefined;
    assert.throws(() => new ChatKitClient({ url: 'ws://x/chatkit', device: 'd' }), /options\.WebSocket/);
  } finally {
    globalThis.WebSocket = saved;
  }
});
