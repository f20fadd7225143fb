// The sample's web chat: plain DOM over @chatkit/client (lib/chatkit-client.js is a copy of clients/js/index.js).
import { ChatKitClient, ChatKitError, newClientMsgId, wsUrlFromLocation } from './lib/chatkit-client.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const USER_RE = /^[A-Za-z0-9._@+-]{1,64}$/;
const HISTORY_PAGE = 30;
const TYPING_SEND_EVERY_MS = 2500;
const TYPING_SHOW_MS = 5000;

const S = {
  me: null,
  token: null,
  device: null,
  client: null,
  limits: { maxBodyChars: 4000, maxGroupMembers: 100 },
  /** id → channel, with local fields: messages (loaded window), hasMore, loaded, receipts {user: upTo} */
  channels: new Map(),
  presence: new Map(),
  subscribed: new Set(),
  typing: new Map(), // channel → Map(user → expiresAt)
  current: null, // channel id, or { draft: true, to } for a direct chat not yet created
  pending: new Map(), // clientMsgId → { channel|to, body, state }
  loadingHistory: false,
  lastTypingSent: 0,
  firstWelcome: true,
};

// ---------- storage ----------

function deviceId() {
  // One device per tab: sessionStorage survives a reload of the tab but is not shared with other tabs.
  let d = sessionStorage.getItem('chatkit.device');
  if (!d) {
    const bytes = crypto.getRandomValues(new Uint8Array(5));
    d = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    sessionStorage.setItem('chatkit.device', d);
  }
  return d;
}

function loadReceipts(channelId) {
  try {
    return JSON.parse(localStorage.getItem(`chatkit.receipts.${S.me}.${channelId}`) || '{}');
  } catch {
    return {};
  }
}

function saveReceipts(channelId, receipts) {
  try {
    localStorage.setItem(`chatkit.receipts.${S.me}.${channelId}`, JSON.stringify(receipts));
  } catch {
    // storage full: receipts are a nicety
  }
}

// ---------- login ----------

async function fetchToken(user) {
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  if (res.status === 404) throw new Error('This server has no development login (/dev/token). Run it with ASPNETCORE_ENVIRONMENT=Development.');
  if (!res.ok) {
    let msg = `Sign-in failed (HTTP ${res.status})`;
    try {
      const j = await res.json();
      if (j.message) msg = j.message;
    } catch {
      // keep the status text
    }
    throw new Error(msg);
  }
  const j = await res.json();
  if (!j.token) throw new Error('The server answered without a token.');
  return j.token;
}

async function login(user) {
  user = user.trim();
  if (!USER_RE.test(user)) throw new Error('Use 1–64 letters, digits or . _ - @ +');
  S.token = await fetchToken(user);
  S.me = user;
  sessionStorage.setItem('chatkit.user', user);
  localStorage.setItem('chatkit.user', user);
  start();
}

function showLogin(error = '') {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = error;
  $('login-name').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = e.submitter || $('login-form').querySelector('button');
  btn.disabled = true;
  $('login-error').textContent = '';
  try {
    await login($('login-name').value);
  } catch (err) {
    showLogin(err.message);
  } finally {
    btn.disabled = false;
  }
});

$('logout').addEventListener('click', () => {
  sessionStorage.removeItem('chatkit.user');
  localStorage.removeItem('chatkit.user');
  if (S.client) S.client.close();
  const u = new URL(location.href);
  u.searchParams.delete('user');
  location.replace(u.toString());
});

// ---------- connection ----------

function start() {
  S.device = deviceId();
  $('login').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = S.me;
  $('me-device').textContent = `this tab: ${S.device}`;
  setAvatar($('me-avatar'), S.me);
  document.title = `${S.me} · ChatKit`;

  const client = new ChatKitClient({
    url: wsUrlFromLocation('/chatkit'),
    device: S.device,
    storageKey: `chatkit.cursor.${S.me}.${S.device}`,
    backoff: { initialMs: 500, maxMs: 10000 },
    // A fresh development token on every reconnect, so an expired one (close 4001) heals itself.
    token: async () => {
      if (S.client && S.client.state === 'reconnecting') {
        try {
          S.token = await fetchToken(S.me);
        } catch {
          // keep the old one; the server may be down, and the reconnect backs off anyway
        }
      }
      return S.token;
    },
  });
  S.client = client;
  window.chatkit = client; // for the console and for browser tests

  client.on('state', onState);
  client.on('welcome', onWelcome);
  client.on('message', onMessage);
  client.on('read', onRead);
  client.on('member', () => scheduleChannelReload());
  client.on('reset', () => reloadAll());
  client.on('typing', onTyping);
  client.on('receipt', onReceipt);
  client.on('presence', (p) => {
    S.presence.set(p.user, p);
    renderPresence();
  });
  client.connect().catch(() => {});
  setupPush();
}

function onState({ state }) {
  const b = $('banner');
  b.dataset.state = state;
  if (state === 'open') {
    b.hidden = true;
    b.textContent = '';
  } else if (state === 'connecting' || state === 'reconnecting') {
    b.hidden = false;
    b.textContent = state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  } else if (state === 'closed') {
    b.hidden = false;
    b.textContent = 'Disconnected';
  }
}

async function onWelcome(w) {
  if (w.limits) S.limits = { ...S.limits, ...w.limits };
  $('group-hint').textContent = `Up to ${S.limits.maxGroupMembers} members, you included.`;
  // Presence subscriptions belong to a session: renew them on every (re)connect.
  S.subscribed.clear();
  await reloadChannels();
  if (S.firstWelcome) {
    S.firstWelcome = false;
    const want = params.get('channel') || sessionStorage.getItem('chatkit.current');
    if (want && S.channels.has(want)) openChannel(want);
  } else if (S.current && typeof S.current === 'string') {
    await refreshCurrentHistory();
  }
}

// ---------- channels ----------

let channelReloadTimer = null;
function scheduleChannelReload() {
  clearTimeout(channelReloadTimer);
  channelReloadTimer = setTimeout(() => reloadChannels().catch(() => {}), 150);
}

async function reloadChannels() {
  let list;
  try {
    list = await S.client.channels();
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not load conversations: ${err.message}`);
    return;
  }
  const seen = new Set();
  for (const c of list) {
    seen.add(c.id);
    const old = S.channels.get(c.id);
    const merged = old ? Object.assign(old, c) : { ...c, messages: [], hasMore: true, loaded: false, receipts: null };
    if (!merged.receipts) merged.receipts = loadReceipts(c.id);
    mergeReads(merged, c);
    // A message applied locally may be newer than the list the server computed a moment ago.
    if (old && old.messages.length) {
      const newest = old.messages[old.messages.length - 1];
      if (newest.channelSeq > (merged.lastSeq || 0)) {
        merged.lastSeq = newest.channelSeq;
        merged.lastMessage = newest;
      }
    }
    S.channels.set(c.id, merged);
  }
  for (const id of [...S.channels.keys()]) if (!seen.has(id)) S.channels.delete(id);
  if (typeof S.current === 'string' && !S.channels.has(S.current)) closeChannel();
  if (S.current && S.current.draft) {
    const existing = findDirect(S.current.to);
    // Keep the draft while its first message is in flight: deliver() switches to the channel.
    if (existing && ![...S.pending.values()].some((p) => p.to === S.current.to)) setCurrent(existing.id);
  }
  if (typeof S.current === 'string') {
    const c = S.channels.get(S.current);
    if (c && !c.loaded) loadHistory(c.id, { initial: true });
  }
  subscribePresence();
  renderChannels();
  if (S.current) renderChat();
  if (typeof S.current === 'string') maybeMarkRead();
}

/** Read marks of other members, if the server lists them (a field beyond v1 that a server may add). */
function mergeReads(channel, c) {
  const reads = c.reads || c.readMarks;
  if (!reads || typeof reads !== 'object') return;
  for (const [user, upTo] of Object.entries(reads)) {
    if (user !== S.me && typeof upTo === 'number') channel.receipts[user] = Math.max(channel.receipts[user] || 0, upTo);
  }
}

async function reloadAll() {
  for (const c of S.channels.values()) {
    c.messages = [];
    c.loaded = false;
    c.hasMore = true;
  }
  await reloadChannels();
  if (typeof S.current === 'string') await loadHistory(S.current, { initial: true });
}

function otherMember(c) {
  return c.members.find((m) => m !== S.me) || S.me;
}

function displayName(c) {
  if (c.kind === 'direct') {
    const o = otherMember(c);
    return o === S.me ? `${S.me} (you)` : o;
  }
  return c.name || c.id;
}

function findDirect(user) {
  for (const c of S.channels.values()) {
    if (c.kind !== 'direct') continue;
    if (user === S.me ? c.members.every((m) => m === S.me) : c.members.includes(user)) return c;
  }
  return null;
}

function activity(c) {
  return c.lastMessage ? c.lastMessage.sentAt : 0;
}

function subscribePresence() {
  const users = new Set();
  for (const c of S.channels.values()) for (const m of c.members) if (m !== S.me) users.add(m);
  if (S.current && S.current.draft && S.current.to !== S.me) users.add(S.current.to);
  const fresh = [...users].filter((u) => !S.subscribed.has(u)).slice(0, 1000 - S.subscribed.size);
  if (!fresh.length) return;
  for (const u of fresh) S.subscribed.add(u);
  S.client.subscribePresence(fresh).then((list) => {
    for (const p of list) S.presence.set(p.user, p);
    renderPresence();
  }).catch(() => {
    for (const u of fresh) S.subscribed.delete(u);
  });
}

// ---------- entries and events ----------

function onMessage(m) {
  let c = S.channels.get(m.channel);
  if (!c) {
    // A channel we have not listed yet (a new direct chat or group): fetch the list, then show it.
    scheduleChannelReload();
    return;
  }
  const fromOther = m.from !== S.me;
  if (m.channelSeq > (c.lastSeq || 0)) {
    c.lastSeq = m.channelSeq;
    c.lastMessage = m;
  }
  if (c.loaded) insertMessage(c, m);
  if (m.from === S.me) {
    S.pending.delete(m.clientMsgId);
  }
  if (fromOther) {
    clearTyping(m.channel, m.from);
    if (m.channelSeq > (c.readSeq || 0)) c.unread = (c.unread || 0) + 1;
  }
  renderChannels();
  if (S.current === m.channel) {
    renderChat({ stickToBottom: true });
    maybeMarkRead();
  }
  if (fromOther && document.visibilityState !== 'visible') notifyTitle();
}

function insertMessage(c, m) {
  const arr = c.messages;
  if (arr.some((x) => x.channelSeq === m.channelSeq)) return;
  let i = arr.length;
  while (i > 0 && arr[i - 1].channelSeq > m.channelSeq) i--;
  arr.splice(i, 0, m);
}

function onRead(e) {
  const c = S.channels.get(e.channel);
  if (!c) return;
  if (e.upTo <= (c.readSeq || 0)) return;
  c.readSeq = e.upTo;
  c.unread = countUnread(c);
  renderChannels();
  notifyTitle();
}

function countUnread(c) {
  if ((c.readSeq || 0) >= (c.lastSeq || 0)) return 0;
  const loaded = c.messages;
  if (loaded.length && loaded[0].channelSeq <= c.readSeq + 1) {
    return loaded.filter((m) => m.channelSeq > c.readSeq && m.from !== S.me).length;
  }
  return Math.min(c.unread || 0, c.lastSeq - c.readSeq);
}

function onReceipt(r) {
  const c = S.channels.get(r.channel);
  if (!c || r.user === S.me) return;
  c.receipts = c.receipts || {};
  if ((c.receipts[r.user] || 0) >= r.upTo) return;
  c.receipts[r.user] = r.upTo;
  saveReceipts(c.id, c.receipts);
  if (S.current === r.channel) renderChat();
}

function onTyping(t) {
  if (t.user === S.me) return;
  let m = S.typing.get(t.channel);
  if (!m) S.typing.set(t.channel, (m = new Map()));
  m.set(t.user, Date.now() + TYPING_SHOW_MS);
  renderTyping();
  renderChannels();
  setTimeout(() => {
    renderTyping();
    renderChannels();
  }, TYPING_SHOW_MS + 50);
}

function clearTyping(channel, user) {
  const m = S.typing.get(channel);
  if (m && m.delete(user)) renderTyping();
}

function typingUsers(channel) {
  const m = S.typing.get(channel);
  if (!m) return [];
  const now = Date.now();
  for (const [u, exp] of m) if (exp <= now) m.delete(u);
  return [...m.keys()];
}

// ---------- opening a channel, history ----------

/** The open conversation: a channel id, a draft `{ draft, to }` or null; the tab remembers it across reloads. */
function setCurrent(current) {
  S.current = current;
  if (typeof current === 'string') sessionStorage.setItem('chatkit.current', current);
  else sessionStorage.removeItem('chatkit.current');
}

function openChannel(id) {
  setCurrent(id);
  $('app').classList.add('chat-open');
  const c = S.channels.get(id);
  renderChannels();
  renderChat({ scrollToBottom: true });
  if (c && !c.loaded) loadHistory(id, { initial: true });
  else maybeMarkRead();
  $('composer-input').focus({ preventScroll: true });
}

function openDraft(user) {
  const existing = findDirect(user);
  if (existing) return openChannel(existing.id);
  setCurrent({ draft: true, to: user });
  $('app').classList.add('chat-open');
  subscribePresence();
  renderChannels();
  renderChat();
  $('composer-input').focus();
}

function closeChannel() {
  setCurrent(null);
  $('app').classList.remove('chat-open');
  renderChannels();
  renderChat();
}

async function loadHistory(id, { initial = false } = {}) {
  const c = S.channels.get(id);
  if (!c || S.loadingHistory) return;
  if (!initial && (!c.hasMore || !c.messages.length)) return;
  S.loadingHistory = true;
  $('history-loader').hidden = initial;
  const list = $('messages');
  const before = initial ? undefined : c.messages[0].channelSeq;
  const prevHeight = list.scrollHeight;
  const prevTop = list.scrollTop;
  try {
    const r = await S.client.history(id, { before, limit: HISTORY_PAGE });
    for (const m of r.messages) insertMessage(c, m);
    c.hasMore = r.hasMore;
    c.loaded = true;
    if (S.current !== id) return;
    if (initial) renderChat({ scrollToBottom: true });
    else {
      renderChat();
      // Keep the message the reader was looking at in place.
      list.scrollTop = list.scrollHeight - prevHeight + prevTop;
    }
    maybeMarkRead();
  } catch (err) {
    toast(`Could not load messages: ${err.message}`);
  } finally {
    S.loadingHistory = false;
    $('history-loader').hidden = true;
  }
  // A short first page may not fill the screen: keep loading while there is no scrollbar.
  if (S.current === id && c.hasMore && list.scrollHeight <= list.clientHeight + 10) loadHistory(id);
}

async function refreshCurrentHistory() {
  const c = S.channels.get(S.current);
  if (!c || !c.loaded) return;
  // After a reconnect the entries fill what was missed; this covers a reset or a channel joined meanwhile.
  try {
    const r = await S.client.history(c.id, { limit: HISTORY_PAGE });
    for (const m of r.messages) insertMessage(c, m);
    if (S.current === c.id) renderChat({ stickToBottom: true });
  } catch {
    // the next reconnect tries again
  }
}

$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop < 80 && typeof S.current === 'string') loadHistory(S.current);
});

function maybeMarkRead() {
  if (typeof S.current !== 'string' || document.visibilityState !== 'visible') return;
  const c = S.channels.get(S.current);
  if (!c || !c.lastSeq || (c.readSeq || 0) >= c.lastSeq) {
    if (c && c.unread) {
      c.unread = 0;
      renderChannels();
    }
    return;
  }
  const upTo = c.lastSeq;
  c.readSeq = upTo;
  c.unread = 0;
  renderChannels();
  notifyTitle();
  S.client.markRead(c.id, upTo).catch(() => {
    // retried on the next message or visit
    if (c.readSeq === upTo) c.readSeq = 0;
  });
}

document.addEventListener('visibilitychange', () => {
  maybeMarkRead();
  notifyTitle();
});

// ---------- sending ----------

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  sendFromComposer();
});

$('composer-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendFromComposer();
  }
});

$('composer-input').addEventListener('input', () => {
  autoGrow();
  if (typeof S.current === 'string' && $('composer-input').value.trim()) {
    const now = Date.now();
    if (now - S.lastTypingSent > TYPING_SEND_EVERY_MS && S.client.typing(S.current)) S.lastTypingSent = now;
  }
});

function autoGrow() {
  const t = $('composer-input');
  t.style.height = 'auto';
  t.style.height = Math.min(t.scrollHeight, 140) + 'px';
}

function sendFromComposer() {
  const input = $('composer-input');
  const body = input.value.trim();
  if (!body || !S.current) return;
  if (body.length > S.limits.maxBodyChars) {
    toast(`Messages are limited to ${S.limits.maxBodyChars} characters (this one has ${body.length}).`);
    return;
  }
  input.value = '';
  autoGrow();
  S.lastTypingSent = 0;
  const target = typeof S.current === 'string' ? { channel: S.current } : { to: S.current.to };
  const p = { ...target, body, clientMsgId: newClientMsgId(), state: 'sending', sentAt: Date.now() };
  S.pending.set(p.clientMsgId, p);
  renderChat({ scrollToBottom: true });
  deliver(p);
}

async function deliver(p) {
  p.state = 'sending';
  renderChat();
  try {
    const m = await S.client.send({ channel: p.channel, to: p.to, body: p.body, clientMsgId: p.clientMsgId });
    S.pending.delete(p.clientMsgId);
    let c = S.channels.get(m.channel);
    if (!c) {
      await reloadChannels();
      c = S.channels.get(m.channel);
    }
    if (S.current && S.current.draft && p.to === S.current.to) {
      setCurrent(m.channel);
    }
    if (c) {
      if (S.current === c.id && !c.loaded) await loadHistory(c.id, { initial: true });
      if (c.loaded) insertMessage(c, m);
      if (m.channelSeq > (c.lastSeq || 0)) {
        c.lastSeq = m.channelSeq;
        c.lastMessage = m;
      }
    }
    renderChannels();
    renderChat({ stickToBottom: true });
  } catch (err) {
    p.state = 'failed';
    p.error = describeError(err);
    renderChat();
    toast(p.error);
  }
}

function describeError(err) {
  if (!(err instanceof ChatKitError)) return err.message || String(err);
  switch (err.code) {
    case 'forbidden': return `Not allowed: ${err.message}`;
    case 'too_large': return `Too long: ${err.message}`;
    case 'rate_limited': return 'You are sending too fast; try again in a moment.';
    case 'timeout':
    case 'disconnected': return 'Not sent: no connection. Tap retry.';
    default: return err.message || err.code;
  }
}

// ---------- direct chats and groups ----------

for (const d of document.querySelectorAll('dialog')) {
  d.addEventListener('click', (e) => {
    if (e.target.matches('[data-close]') || e.target === d) d.close();
  });
}

$('new-direct').addEventListener('click', () => {
  $('direct-error').textContent = '';
  $('direct-form').reset();
  $('direct-dialog').showModal();
});

$('direct-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const user = $('direct-user').value.trim();
  if (!USER_RE.test(user)) {
    $('direct-error').textContent = 'Use 1–64 letters, digits or . _ - @ +';
    return;
  }
  $('direct-dialog').close();
  openDraft(user);
});

$('new-group').addEventListener('click', () => {
  $('group-error').textContent = '';
  $('group-form').reset();
  $('group-hint').textContent = `Up to ${S.limits.maxGroupMembers} members, you included.`;
  $('group-dialog').showModal();
});

$('group-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = $('group-name').value.trim();
  const members = [...new Set($('group-members').value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))].filter((m) => m !== S.me);
  const bad = members.find((m) => !USER_RE.test(m));
  if (bad) {
    $('group-error').textContent = `"${bad}" is not a valid user name.`;
    return;
  }
  const btn = e.submitter || $('group-form').querySelector('[type=submit]');
  btn.disabled = true;
  $('group-error').textContent = '';
  try {
    const ch = await S.client.createGroup(name, members);
    $('group-dialog').close();
    if (!S.channels.has(ch.id)) S.channels.set(ch.id, { ...ch, messages: [], hasMore: false, loaded: true, receipts: {} });
    subscribePresence();
    openChannel(ch.id);
  } catch (err) {
    $('group-error').textContent = err.code === 'too_many_members'
      ? `Too many members: a group can have at most ${S.limits.maxGroupMembers} members, you included; this one would have ${members.length + 1}.`
      : describeError(err);
  } finally {
    btn.disabled = false;
  }
});

$('back').addEventListener('click', () => closeChannel());

// ---------- rendering ----------

const COLORS = ['#6366f1', '#0ea5e9', '#14b8a6', '#22c55e', '#f59e0b', '#ef4444', '#ec4899', '#8b5cf6', '#64748b'];
function colorOf(s) {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function setAvatar(el, name, { group = false, presenceUser = null } = {}) {
  el.textContent = group ? '#' : [...name][0] || '?';
  el.style.background = colorOf(name);
  if (presenceUser) {
    const dot = document.createElement('span');
    dot.className = 'presence-dot';
    dot.dataset.testid = 'presence-dot';
    dot.dataset.user = presenceUser;
    dot.dataset.status = S.presence.get(presenceUser)?.status || 'offline';
    el.append(dot);
  }
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'testid') e.dataset.testid = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

function timeShort(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return 'Yesterday';
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

function lastSeen(p) {
  if (!p) return '';
  if (p.status === 'online') return 'online';
  if (!p.lastActiveAt) return 'offline';
  const s = Math.max(0, Math.round((Date.now() - p.lastActiveAt) / 1000));
  if (s < 60) return 'last seen just now';
  if (s < 3600) return `last seen ${Math.floor(s / 60)} min ago`;
  const d = new Date(p.lastActiveAt);
  if (s < 86400 && d.getDate() === new Date().getDate()) return `last seen today at ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
  return `last seen ${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} at ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

function renderChannels() {
  const ul = $('channel-list');
  const list = [...S.channels.values()].sort((a, b) => activity(b) - activity(a));
  $('empty-list').hidden = list.length > 0;
  const items = list.map((c) => {
    const name = displayName(c);
    const isDirect = c.kind === 'direct';
    const other = isDirect ? otherMember(c) : null;
    const avatar = el('span', { class: 'avatar' });
    setAvatar(avatar, name, { group: !isDirect, presenceUser: isDirect && other !== S.me ? other : null });
    const typers = typingUsers(c.id);
    const last = c.lastMessage;
    const preview = typers.length
      ? el('span', { class: 'channel-last typing-now', testid: 'channel-last' }, isDirect ? 'typing…' : `${typers[0]} is typing…`)
      : el('span', { class: 'channel-last', testid: 'channel-last' },
        last ? `${last.from === S.me ? 'You: ' : isDirect ? '' : last.from + ': '}${last.body}` : isDirect ? 'No messages yet' : `${c.members.length} members`);
    const unread = c.unread || 0;
    return el('li', {
      class: `channel-item${c.id === S.current ? ' active' : ''}${unread ? ' has-unread' : ''}`,
      testid: 'channel-item',
      dataset: { channel: c.id, name, kind: c.kind },
      onclick: () => openChannel(c.id),
    },
    avatar,
    el('div', { class: 'channel-main' },
      el('div', { class: 'channel-top' },
        el('span', { class: 'channel-name', testid: 'channel-name' }, name),
        el('span', { class: 'channel-time' }, last ? timeShort(last.sentAt) : '')),
      el('div', { class: 'channel-bottom' },
        preview,
        unread ? el('span', { class: 'badge', testid: 'unread-badge' }, unread > 99 ? '99+' : String(unread)) : null)));
  });
  ul.replaceChildren(...items);
  notifyTitle();
}

function renderPresence() {
  for (const dot of document.querySelectorAll('.presence-dot')) {
    dot.dataset.status = S.presence.get(dot.dataset.user)?.status || 'offline';
  }
  renderChatHeader();
}

function currentInfo() {
  if (!S.current) return null;
  if (typeof S.current === 'string') {
    const c = S.channels.get(S.current);
    return c ? { c, name: displayName(c), direct: c.kind === 'direct', other: c.kind === 'direct' ? otherMember(c) : null } : null;
  }
  const to = S.current.to;
  return { c: null, name: to === S.me ? `${S.me} (you)` : to, direct: true, other: to };
}

function renderChatHeader() {
  const info = currentInfo();
  if (!info) return;
  $('chat-title').textContent = info.name;
  const avatar = $('chat-avatar');
  avatar.replaceChildren();
  setAvatar(avatar, info.name, { group: !info.direct, presenceUser: info.direct && info.other !== S.me ? info.other : null });
  const status = $('chat-status');
  if (info.direct) {
    const p = info.other === S.me ? { status: 'online' } : S.presence.get(info.other);
    status.textContent = info.other === S.me ? 'notes to yourself' : lastSeen(p);
    status.classList.toggle('online', p?.status === 'online' && info.other !== S.me);
    status.dataset.status = p?.status || 'offline';
  } else {
    const online = info.c.members.filter((m) => m !== S.me && S.presence.get(m)?.status === 'online').length;
    status.textContent = `${info.c.members.length} members${online ? `, ${online} online` : ''}`;
    status.classList.remove('online');
    delete status.dataset.status;
  }
}

function renderChat({ scrollToBottom = false, stickToBottom = false } = {}) {
  const info = currentInfo();
  const open = !!info;
  $('chat-empty').hidden = open;
  $('chat-header').hidden = !open;
  $('messages').hidden = !open;
  $('composer').hidden = !open;
  if (!open) {
    $('typing').hidden = true;
    return;
  }
  renderChatHeader();
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const messages = info.c ? info.c.messages : [];
  const channelId = info.c ? info.c.id : null;
  const shown = new Set(messages.filter((m) => m.from === S.me).map((m) => m.clientMsgId));
  const pending = [...S.pending.values()].filter((p) =>
    !shown.has(p.clientMsgId) && (channelId ? p.channel === channelId || (p.to && info.direct && p.to === info.other) : p.to === info.other));

  const nodes = [];
  let prev = null;
  let lastDay = '';
  const myLast = [...messages].reverse().find((m) => m.from === S.me);
  for (const m of messages) {
    const day = new Date(m.sentAt).toDateString();
    if (day !== lastDay) {
      nodes.push(el('div', { class: 'day' }, dayLabel(m.sentAt)));
      lastDay = day;
      prev = null;
    }
    const first = !prev || prev.from !== m.from || m.sentAt - prev.sentAt > 5 * 60 * 1000;
    nodes.push(messageNode(m, { first, showSender: first && !info.direct && m.from !== S.me, seen: m === myLast ? seenBy(info.c, m) : null }));
    prev = m;
  }
  for (const p of pending) {
    const first = !prev || prev.from !== S.me;
    nodes.push(pendingNode(p, first));
    prev = { from: S.me, sentAt: p.sentAt };
  }
  $('message-items').replaceChildren(...nodes);
  if (scrollToBottom || (stickToBottom && atBottom)) list.scrollTop = list.scrollHeight;
  renderTyping();
}

function dayLabel(ms) {
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (d.toDateString() === y.toDateString()) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', month: 'short', day: 'numeric' });
}

function seenBy(c, m) {
  if (!c) return null;
  const receipts = c.receipts || {};
  const readers = c.members.filter((u) => u !== S.me && (receipts[u] || 0) >= m.channelSeq);
  if (!readers.length) return el('div', { class: 'seen', testid: 'delivery' }, 'Sent');
  const everyone = c.members.filter((u) => u !== S.me).length === readers.length;
  const text = c.kind === 'direct' ? `Seen by ${readers[0]}` : everyone && readers.length > 3 ? 'Seen by everyone' : `Seen by ${readers.join(', ')}`;
  return el('div', { class: 'seen', testid: 'seen-by', dataset: { readers: readers.join(',') } }, text);
}

function messageNode(m, { first, showSender, seen }) {
  const mine = m.from === S.me;
  return el('div', {
    class: `message${mine ? ' mine' : ''}${first ? ' first' : ''}`,
    testid: 'message',
    dataset: { seq: String(m.channelSeq), from: m.from, id: m.id, mine: mine ? 'true' : 'false' },
  },
  showSender ? el('div', { class: 'sender' }, m.from) : null,
  el('div', { class: `bubble${mine ? ' mine' : ''}` },
    el('span', { testid: 'message-body' }, m.body),
    el('span', { class: 'meta', title: new Date(m.sentAt).toLocaleString() }, timeShort(m.sentAt))),
  seen);
}

function pendingNode(p, first) {
  const failed = p.state === 'failed';
  return el('div', {
    class: `message mine${first ? ' first' : ''} ${failed ? 'failed' : 'pending'}`,
    testid: 'message',
    dataset: { pending: 'true', from: S.me, mine: 'true' },
  },
  el('div', { class: 'bubble mine' },
    el('span', { testid: 'message-body' }, p.body),
    el('span', { class: 'meta' }, failed ? '!' : '…')),
  failed ? el('button', { class: 'retry', testid: 'retry', onclick: () => deliver(p) }, 'Not sent · Retry') : null);
}

function renderTyping() {
  const t = $('typing');
  const id = typeof S.current === 'string' ? S.current : null;
  const users = id ? typingUsers(id) : [];
  t.hidden = users.length === 0;
  t.dataset.users = users.join(',');
  $('typing-text').textContent =
    users.length === 1 ? `${users[0]} is typing…` : users.length === 2 ? `${users[0]} and ${users[1]} are typing…` : `${users.length} people are typing…`;
}

function notifyTitle() {
  let total = 0;
  for (const c of S.channels.values()) total += c.unread || 0;
  document.title = `${total ? `(${total}) ` : ''}${S.me} · ChatKit`;
  if (navigator.setAppBadge) (total ? navigator.setAppBadge(total) : navigator.clearAppBadge()).catch(() => {});
}

let toastTimer = null;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 4000);
}

// Relative "last seen" times age; refresh them.
setInterval(() => {
  if (S.current) renderChatHeader();
}, 30000);

// ---------- Web Push ----------

async function pushConfig() {
  const path = document.querySelector('meta[name="chatkit-push-config"]')?.content;
  if (!path) return null;
  try {
    const res = await fetch(path, { headers: { authorization: `Bearer ${S.token}` } });
    if (!res.ok) return null;
    const j = await res.json();
    const key = j.publicKey || j.vapidPublicKey || j.webpush?.publicKey;
    return j.enabled === false || !key ? null : { publicKey: key };
  } catch {
    return null;
  }
}

function urlB64ToBytes(s) {
  const pad = '='.repeat((4 - (s.length % 4)) % 4);
  const b = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(b, (ch) => ch.charCodeAt(0));
}

async function setupPush() {
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window && window.isSecureContext;
  if (!supported) return;
  const config = await pushConfig();
  if (!config) return;
  const btn = $('push-toggle');
  btn.hidden = false;
  const reg = await navigator.serviceWorker.register('sw.js').catch(() => null);
  if (!reg) {
    btn.hidden = true;
    return;
  }
  const refresh = async () => {
    const sub = await reg.pushManager.getSubscription();
    const on = !!sub && Notification.permission === 'granted';
    btn.classList.toggle('on', on);
    btn.title = on ? 'Notifications are on (click to turn off)' : Notification.permission === 'denied' ? 'Notifications are blocked in the browser settings' : 'Enable notifications';
    return sub;
  };
  // Bind an existing subscription to this tab's device on every session.
  S.client.on('welcome', async () => {
    const sub = await refresh();
    if (sub && Notification.permission === 'granted') S.client.registerPush('webpush', JSON.stringify(sub)).catch(() => {});
  });
  await refresh();
  btn.addEventListener('click', async () => {
    try {
      const existing = await reg.pushManager.getSubscription();
      if (existing) {
        await S.client.unregisterPush('webpush', JSON.stringify(existing)).catch(() => {});
        await existing.unsubscribe();
      } else {
        const perm = await Notification.requestPermission();
        if (perm !== 'granted') throw new Error('Notifications were not allowed.');
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlB64ToBytes(config.publicKey) });
        await S.client.registerPush('webpush', JSON.stringify(sub));
      }
    } catch (err) {
      toast(`Notifications: ${err.message}`);
    }
    await refresh();
  });
}

// ---------- boot ----------

(async () => {
  const wanted = params.get('user') || sessionStorage.getItem('chatkit.user') || localStorage.getItem('chatkit.user');
  if (!wanted) return showLogin();
  $('login-name').value = wanted;
  try {
    await login(wanted);
  } catch (err) {
    showLogin(err.message);
  }
})();
