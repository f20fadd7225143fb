// @chatkit/client: a browser and Node client of the ChatKit wire protocol, version 1 (PROTOCOL.md).
// No dependencies: it uses the global WebSocket and fetch, or the constructors passed in the options.

/** The subprotocol offered on connect; a v1 server echoes it. */
export const SUBPROTOCOL = 'chatkit.v1';

/** Error codes of PROTOCOL.md section 2, plus the client's own (`timeout`, `disconnected`, `closed`). */
export const ErrorCodes = Object.freeze({
  badRequest: 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  tooLarge: 'too_large',
  tooManyMembers: 'too_many_members',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  internal: 'internal',
  timeout: 'timeout',
  disconnected: 'disconnected',
  closed: 'closed',
});

// Failures after which the same request may succeed: a send retried with the same clientMsgId is safe.
const RETRIABLE = new Set(['timeout', 'disconnected', 'unavailable', 'rate_limited']);

/** An `error` reply of the server, or a failure of the client itself (timeout, lost connection, closed client). */
export class ChatKitError extends Error {
  constructor(code, message, { rid, retryAfterMs, status } = {}) {
    super(message || code);
    this.name = 'ChatKitError';
    this.code = code;
    if (rid !== undefined) this.rid = rid;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
    if (status !== undefined) this.status = status;
  }

  /** True when trying the same request again may work (the connection dropped, the server was busy). */
  get retriable() {
    return RETRIABLE.has(this.code);
  }
}

/** A cursor storage kept in memory: the default where no `localStorage` exists (Node). */
export class MemoryStorage {
  constructor() {
    this._map = new Map();
  }
  getItem(key) {
    return this._map.has(key) ? this._map.get(key) : null;
  }
  setItem(key, value) {
    this._map.set(key, String(value));
  }
  removeItem(key) {
    this._map.delete(key);
  }
}

function defaultStorage() {
  try {
    // Reading localStorage throws in some sandboxed iframes and with storage disabled.
    const ls = globalThis.localStorage;
    if (ls && typeof ls.getItem === 'function') return ls;
  } catch {
    // fall through
  }
  return new MemoryStorage();
}

/**
 * A new idempotency key for `send`: a UUID where `crypto.randomUUID` exists (secure contexts), random hex otherwise.
 */
export function newClientMsgId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Splits one WebSocket text message into frames: a message holds one JSON frame, or several separated by `\n`
 * (PROTOCOL.md section 2). Lines that are not JSON objects are returned as `{ error }` items.
 */
export function splitFrames(text) {
  const frames = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const f = JSON.parse(line);
      if (f && typeof f === 'object' && !Array.isArray(f)) frames.push(f);
      else frames.push({ error: new Error('frame is not a JSON object'), raw: line });
    } catch (error) {
      frames.push({ error, raw: line });
    }
  }
  return frames;
}

/**
 * The delay before reconnect attempt `attempt` (0 = first): exponential, capped, with "equal jitter" so that many
 * clients dropped at once by one server do not come back at once.
 */
export function backoffDelay(attempt, { initialMs = 500, maxMs = 30000, factor = 2, jitter = 0.5 } = {}, random = Math.random) {
  const base = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt)));
  const j = Math.min(1, Math.max(0, jitter));
  return Math.round(base * (1 - j) + base * j * random());
}

/** The WebSocket URL of an endpoint on the page's own host: `/chatkit` → `wss://host/chatkit` (browsers only). */
export function wsUrlFromLocation(path = '/chatkit', location = globalThis.location) {
  const u = new URL(path, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** A minimal event emitter: `on` returns a function that removes the handler. */
class Emitter {
  constructor() {
    this._handlers = new Map();
  }
  on(type, handler) {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    let set = this._handlers.get(type);
    if (!set) this._handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => this.off(type, handler);
  }
  once(type, handler) {
    const off = this.on(type, (...args) => {
      off();
      handler(...args);
    });
    return off;
  }
  off(type, handler) {
    this._handlers.get(type)?.delete(handler);
  }
  emit(type, ...args) {
    const set = this._handlers.get(type);
    if (!set) return;
    for (const h of [...set]) {
      try {
        h(...args);
      } catch (err) {
        // A failing handler must not break the connection or skip the cursor; report it asynchronously.
        if (type !== 'handlerError' && this._handlers.get('handlerError')?.size) this.emit('handlerError', err, type);
        else setTimeout(() => { throw err; });
      }
    }
  }
}

const OPEN = 1;

/**
 * A ChatKit connection that stays up: it connects with the device cursor, reconnects with backoff and jitter,
 * applies each inbox entry exactly once and in order, and answers requests by `rid`.
 */
export class ChatKitClient extends Emitter {
  constructor(options = {}) {
    super();
    if (!options.url) throw new TypeError('options.url is required (e.g. "ws://localhost:5000/chatkit")');
    if (!options.device || !/^[A-Za-z0-9._-]{1,64}$/.test(options.device)) {
      throw new TypeError('options.device must be 1-64 characters of A-Z a-z 0-9 . _ -');
    }
    this.options = {
      requestTimeoutMs: 10000,
      sendDeadlineMs: 60000,
      reconnect: true,
      protocols: [SUBPROTOCOL],
      ...options,
      backoff: { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.5, ...(options.backoff || {}) },
    };
    this.device = options.device;
    this.storage = options.storage || defaultStorage();
    this.storageKey = options.storageKey || `chatkit.cursor.${options.device}`;
    this._WebSocket = options.WebSocket || globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError(
        'No WebSocket implementation: pass options.WebSocket (e.g. the "ws" package), or run Node with --experimental-websocket (Node 20) or Node 22+');
    }
    this._random = options.random || Math.random;

    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.state = 'idle';
    /** The last `welcome` frame. */
    this.welcome = null;
    /** The highest inbox `seq` applied on this device, or null before the first connect. */
    this.cursor = null;
    this.heartbeatMs = options.heartbeatMs || 15000;

    this._ws = null;
    this._rid = 0;
    this._pending = new Map();
    this._attempt = 0;
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._openWaiters = [];
    this._filling = false;
    this._held = [];
    this._drainRetryMs = null;
    this._cursorLoaded = false;
    this._saveQueued = false;
    this._onOnline = () => {
      if (this.state === 'reconnecting' && this._reconnectTimer) this._reconnectNow();
    };
  }

  /** Starts the connection; resolves with the `welcome` frame of the first session. Reconnects on its own. */
  connect() {
    if (this.state === 'closed') return Promise.reject(new ChatKitError('closed', 'the client was closed'));
    const p = this.whenOpen(Infinity);
    if (this.state === 'idle') {
      this._setState('connecting');
      if (typeof globalThis.addEventListener === 'function') globalThis.addEventListener('online', this._onOnline);
      this._open();
    }
    return p;
  }

  /** Resolves with the `welcome` frame once a session is open (at once if one is), or rejects after `timeoutMs`. */
  whenOpen(timeoutMs = this.options.requestTimeoutMs) {
    if (this.state === 'open') return Promise.resolve(this.welcome);
    if (this.state === 'closed') return Promise.reject(new ChatKitError('closed', 'the client was closed'));
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, timer: null };
      if (Number.isFinite(timeoutMs)) {
        w.timer = setTimeout(() => {
          this._openWaiters = this._openWaiters.filter((x) => x !== w);
          reject(new ChatKitError('timeout', `not connected within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this._openWaiters.push(w);
    });
  }

  /** Closes the connection for good (code 1000, so presence ends at once) and fails pending requests. */
  close(code = 1000, reason = 'client closed') {
    if (this.state === 'closed') return;
    this._setState('closed', { code, reason });
    if (typeof globalThis.removeEventListener === 'function') globalThis.removeEventListener('online', this._onOnline);
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._stopHeartbeat();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      this._detach(ws);
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
    }
    this._failPending(new ChatKitError('closed', 'the client was closed'));
    const err = new ChatKitError('closed', 'the client was closed');
    for (const w of this._openWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  /**
   * Sends a request and resolves with the `ok` frame (or `pong`); rejects with a {@link ChatKitError} on `error`,
   * timeout or a lost connection. While reconnecting it waits for the session, up to the timeout.
   */
  async request(type, fields = {}, { timeoutMs = this.options.requestTimeoutMs } = {}) {
    const started = Date.now();
    await this.whenOpen(timeoutMs);
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    const rid = String(++this._rid);
    return new Promise((resolve, reject) => {
      const p = {
        resolve,
        reject,
        type,
        timer: setTimeout(() => {
          this._pending.delete(rid);
          reject(new ChatKitError('timeout', `no reply to ${type} within ${timeoutMs} ms`, { rid }));
        }, remaining),
      };
      this._pending.set(rid, p);
      if (!this._sendFrame({ ...fields, type, rid })) {
        clearTimeout(p.timer);
        this._pending.delete(rid);
        reject(new ChatKitError('disconnected', 'the connection is not open', { rid }));
      }
    });
  }

  /**
   * Sends a message to a channel (`channel`) or a user (`to`, opening the direct channel) and resolves with the
   * stored message. A lost connection, timeout, `unavailable` or `rate_limited` is retried with the same
   * `clientMsgId` until `deadlineMs`, so the message is stored at most once.
   */
  async send({ to, channel, body, meta, clientMsgId } = {}, { deadlineMs = this.options.sendDeadlineMs, timeoutMs } = {}) {
    const id = clientMsgId || newClientMsgId();
    const fields = { body, clientMsgId: id };
    if (channel !== undefined) fields.channel = channel;
    if (to !== undefined) fields.to = to;
    if (meta !== undefined) fields.meta = meta;
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      try {
        const reply = await this.request('send', fields, { timeoutMs: Math.max(1, Math.min(left, timeoutMs || this.options.requestTimeoutMs)) });
        return reply.message;
      } catch (err) {
        if (!(err instanceof ChatKitError) || !err.retriable || this.state === 'closed' || Date.now() >= deadline) throw err;
        const wait = err.code === 'rate_limited'
          ? err.retryAfterMs ?? 1000
          : err.code === 'unavailable' ? backoffDelay(attempt, this.options.backoff, this._random) : 0;
        if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      }
    }
  }

  /** A channel's messages before `before` (exclusive, default newest), ascending: `{ messages, hasMore }`. */
  async history(channel, { before, limit } = {}) {
    const f = { channel };
    if (before !== undefined && before !== null) f.before = before;
    if (limit !== undefined) f.limit = limit;
    const r = await this.request('history', f);
    return { messages: r.messages || [], hasMore: !!r.hasMore };
  }

  /** Pulls inbox entries after a seq: `{ entries, head, hasMore, reset }`. Does not move the cursor. */
  async sync(after, { limit } = {}) {
    const f = { after };
    if (limit !== undefined) f.limit = limit;
    const r = await this.request('sync', f);
    return { entries: r.entries || [], head: r.head, hasMore: !!r.hasMore, reset: !!r.reset };
  }

  /** The user's channels, newest activity first. */
  async channels() {
    return (await this.request('channels')).channels || [];
  }

  /** Creates a group; `members` need not include the creator. Beyond the limit: `too_many_members`. */
  async createGroup(name, members) {
    return (await this.request('group.create', { name, members })).channel;
  }

  async addMembers(channel, users) {
    return (await this.request('group.add', { channel, users })).channel;
  }

  async removeMembers(channel, users) {
    return (await this.request('group.remove', { channel, users })).channel;
  }

  /** Marks a channel read up to a channelSeq (never backwards); other devices get a `read` entry. */
  async markRead(channel, upTo) {
    await this.request('read', { channel, upTo });
  }

  /** Says the user is typing in a channel. Fire and forget: nothing is sent while disconnected. */
  typing(channel) {
    if (this.state !== 'open') return false;
    return this._sendFrame({ type: 'typing', channel });
  }

  /** Subscribes to users' presence; resolves with their current `[{ user, status, lastActiveAt }]`. */
  async subscribePresence(users) {
    return (await this.request('presence.sub', { users })).presence || [];
  }

  async unsubscribePresence(users) {
    const r = await this.request('presence.unsub', { users });
    return r.presence || [];
  }

  /** Binds a push address (a Web Push subscription as JSON, an FCM or APNs token) to this device. */
  async registerPush(provider, token) {
    await this.request('push.register', { provider, token });
  }

  async unregisterPush(provider, token) {
    await this.request('push.unregister', { provider, token });
  }

  /** Round trip to the server; resolves with the server's clock (Unix ms). */
  async ping() {
    return (await this.request('ping')).time;
  }

  // ---- connection ----

  _setState(state, extra = {}) {
    const previous = this.state;
    this.state = state;
    if (previous !== state || extra.delayMs !== undefined) this.emit('state', { state, previous, ...extra });
  }

  async _loadCursor() {
    if (this._cursorLoaded) return;
    this._cursorLoaded = true;
    try {
      const v = await this.storage.getItem(this.storageKey);
      const n = v === null || v === undefined || v === '' ? NaN : Number(v);
      if (Number.isSafeInteger(n) && n >= 0) this.cursor = n;
    } catch {
      // an unreadable store behaves as an empty one
    }
  }

  _saveCursor() {
    if (this._saveQueued) return;
    this._saveQueued = true;
    // Coalesce the writes of a backlog applied in one go.
    queueMicrotask(() => {
      this._saveQueued = false;
      if (this.cursor === null) return;
      try {
        const r = this.storage.setItem(this.storageKey, String(this.cursor));
        if (r && typeof r.catch === 'function') r.catch(() => {});
      } catch {
        // a full or disabled store must not break the session; the server resends from the older cursor
      }
    });
  }

  async _resolve(v) {
    return typeof v === 'function' ? await v() : v;
  }

  async _open() {
    if (this.state === 'closed') return;
    let url;
    try {
      await this._loadCursor();
      const u = new URL(await this._resolve(this.options.url));
      const token = await this._resolve(this.options.token);
      u.searchParams.set('device', this.device);
      if (this.cursor !== null) u.searchParams.set('after', String(this.cursor));
      else u.searchParams.delete('after');
      if (token) u.searchParams.set('access_token', token);
      url = u.toString();
    } catch (err) {
      this._scheduleReconnect({ code: 0, reason: String(err && err.message || err) });
      return;
    }
    if (this.state === 'closed') return;
    let ws;
    try {
      ws = new this._WebSocket(url, this.options.protocols);
    } catch (err) {
      this._scheduleReconnect({ code: 0, reason: String(err && err.message || err) });
      return;
    }
    this._ws = ws;
    this._gotWelcome = false;
    ws.onmessage = (ev) => this._onMessage(ws, ev.data);
    ws.onclose = (ev) => this._onClose(ws, ev.code, ev.reason);
    ws.onerror = () => {
      // A close event always follows; nothing to do here but keep Node's ws from throwing.
    };
  }

  _detach(ws) {
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = () => {};
  }

  _onClose(ws, code, reason) {
    if (ws !== this._ws) return;
    this._ws = null;
    this._stopHeartbeat();
    this._filling = false;
    this._held = [];
    this._failPending(new ChatKitError('disconnected', `connection closed (${code}${reason ? ': ' + reason : ''})`));
    this.emit('disconnect', { code, reason });
    if (this.state === 'closed') return;
    this._scheduleReconnect({ code, reason });
  }

  _scheduleReconnect({ code, reason }) {
    if (this.state === 'closed') return;
    if (!this.options.reconnect) {
      this.close(1000, 'reconnect disabled');
      return;
    }
    let delayMs;
    if (code === 1012 && this._drainRetryMs !== null) {
      // The node is draining: come back after the time it asked, spread by jitter.
      delayMs = Math.round(this._drainRetryMs * (1 + this._random()));
      this._drainRetryMs = null;
    } else {
      delayMs = backoffDelay(this._attempt, this.options.backoff, this._random);
    }
    this._attempt++;
    this._setState('reconnecting', { code, reason, delayMs, attempt: this._attempt });
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      this._open();
    }, delayMs);
  }

  _reconnectNow() {
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._open();
  }

  /** Drops the current socket as dead (no pong) and reconnects. */
  _dropConnection(reason) {
    const ws = this._ws;
    if (!ws) return;
    this._detach(ws);
    try {
      ws.close(4000, reason);
    } catch {
      // ignore
    }
    this._onClose(ws, 4000, reason);
  }

  _sendFrame(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      return false;
    }
    this._armHeartbeat();
    return true;
  }

  _armHeartbeat() {
    if (this.state !== 'open') return;
    clearTimeout(this._heartbeatTimer);
    // Any frame is a heartbeat, so only an idle connection pings.
    this._heartbeatTimer = setTimeout(() => this._heartbeat(), this.heartbeatMs);
  }

  _stopHeartbeat() {
    clearTimeout(this._heartbeatTimer);
    this._heartbeatTimer = null;
  }

  _heartbeat() {
    const ws = this._ws;
    if (!ws || this.state !== 'open') return;
    this.request('ping', {}, { timeoutMs: this.heartbeatMs * 2 }).catch((err) => {
      if (err.code === 'timeout' && this._ws === ws) this._dropConnection('no pong');
    });
  }

  _failPending(err) {
    for (const [rid, p] of this._pending) {
      clearTimeout(p.timer);
      const e = new ChatKitError(err.code, err.message, { rid });
      p.reject(e);
    }
    this._pending.clear();
  }

  _onMessage(ws, data) {
    if (ws !== this._ws) return;
    let text = data;
    if (typeof text !== 'string') {
      // Node's ws may hand over a Buffer; a v1 server never sends binary, so decode only for robustness.
      try {
        text = new TextDecoder().decode(data);
      } catch {
        return;
      }
    }
    for (const f of splitFrames(text)) {
      if (f.error) {
        this.emit('protocolError', f.error, f.raw);
        continue;
      }
      this._onFrame(f);
      if (ws !== this._ws) return; // a handler closed the connection
    }
  }

  _onFrame(f) {
    this.emit('frame', f);
    switch (f.type) {
      case 'welcome':
        return this._onWelcome(f);
      case 'entry':
        return this._onEntry(f);
      case 'reset':
        return this._onReset(f);
      case 'ok':
      case 'pong':
      case 'error': {
        const p = f.rid !== undefined ? this._pending.get(f.rid) : undefined;
        if (p) {
          this._pending.delete(f.rid);
          clearTimeout(p.timer);
          if (f.type === 'error') {
            p.reject(new ChatKitError(f.code || 'internal', f.message, { rid: f.rid, retryAfterMs: f.retryAfterMs }));
          } else p.resolve(f);
        } else if (f.type === 'error') {
          this.emit('serverError', new ChatKitError(f.code || 'internal', f.message, { rid: f.rid, retryAfterMs: f.retryAfterMs }));
        }
        return;
      }
      case 'typing':
        return this.emit('typing', f);
      case 'receipt':
        return this.emit('receipt', f);
      case 'presence':
        return this.emit('presence', f);
      case 'drain':
        this._drainRetryMs = typeof f.retryAfterMs === 'number' ? f.retryAfterMs : 0;
        return this.emit('drain', f);
      default:
        // Unknown frame types are ignored, as unknown fields are.
        return;
    }
  }

  _onWelcome(f) {
    this.welcome = f;
    this._gotWelcome = true;
    this._attempt = 0;
    if (typeof f.heartbeatMs === 'number' && f.heartbeatMs > 0) this.heartbeatMs = this.options.heartbeatMs || f.heartbeatMs;
    if (this.cursor === null && typeof f.head === 'number') {
      // Connected without `after`: the server continues live after head.
      this.cursor = f.head;
      this._saveCursor();
    }
    this._setState('open');
    this._armHeartbeat();
    this.emit('welcome', f);
    for (const w of this._openWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(f);
    }
  }

  _onReset(f) {
    // The cursor is too old (beyond retention) or ahead of the head: the app reloads its state.
    this.cursor = typeof f.head === 'number' ? f.head : this.cursor;
    this._saveCursor();
    this.emit('reset', f);
  }

  _onEntry(f) {
    if (typeof f.seq !== 'number') return;
    if (this._filling) {
      this._held.push(f);
      return;
    }
    if (this.cursor !== null && f.seq <= this.cursor) {
      this.emit('duplicate', f);
      return;
    }
    if (this.cursor !== null && f.seq > this.cursor + 1) {
      this._fillGap(f);
      return;
    }
    this._apply(f);
  }

  _apply(f) {
    this.emit('entry', f);
    switch (f.kind) {
      case 'message':
        this.emit('message', f.message, f);
        break;
      case 'read':
        this.emit('read', f);
        break;
      case 'member':
        this.emit('member', f);
        break;
      default:
        break;
    }
    this.cursor = f.seq;
    this._saveCursor();
  }

  /** A v1 server never leaves a gap; if one shows anyway, pull the missing range before going on. */
  async _fillGap(first) {
    this._filling = true;
    this._held = [first];
    const ws = this._ws;
    this.emit('gap', { from: this.cursor + 1, to: first.seq - 1 });
    try {
      for (;;) {
        const r = await this.sync(this.cursor, { limit: 1000 });
        if (this._ws !== ws) return;
        if (r.reset) {
          this._filling = false;
          this._held = [];
          this._onReset({ type: 'reset', head: r.head });
          return;
        }
        for (const e of r.entries) {
          if (e.seq === this.cursor + 1) this._apply({ type: 'entry', ...e });
        }
        const need = Math.min(...this._held.map((e) => e.seq)) - 1;
        if (this.cursor >= need || !r.hasMore || r.entries.length === 0) break;
      }
    } catch {
      // The connection dropped: the reconnect resumes from the cursor.
      if (this._ws !== ws) return;
    }
    this._filling = false;
    const held = this._held.sort((a, b) => a.seq - b.seq);
    this._held = [];
    for (const e of held) this._onEntry(e);
  }
}

/** Helpers for the stateless HTTP endpoints (PROTOCOL.md section 8). */
export class ChatKitHttp {
  /**
   * @param {{ baseUrl: string, token?: string | (() => string | Promise<string>), fetch?: typeof fetch }} options
   * `baseUrl` is the HTTP base of the endpoint, e.g. `http://localhost:5000/chatkit`.
   */
  constructor({ baseUrl, token, fetch: f } = {}) {
    if (!baseUrl) throw new TypeError('baseUrl is required (e.g. "http://localhost:5000/chatkit")');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
    this._fetch = f || globalThis.fetch;
    if (typeof this._fetch !== 'function') throw new TypeError('No fetch implementation: pass options.fetch');
  }

  async _call(method, path, query, body) {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
    const headers = { accept: 'application/json' };
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this._fetch(u.toString(), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const retry = res.headers.get('retry-after');
      throw new ChatKitError((json && json.code) || statusCode(res.status), (json && json.message) || `HTTP ${res.status}`, {
        status: res.status,
        retryAfterMs: json && json.retryAfterMs !== undefined ? json.retryAfterMs : retry ? Number(retry) * 1000 : undefined,
      });
    }
    return json;
  }

  /** Sends a message over HTTP; resolves with the stored message. Retries keep the same clientMsgId. */
  send({ to, channel, body, meta, clientMsgId = newClientMsgId() }, { device } = {}) {
    return this._call('POST', '/messages', { device }, { to, channel, body, meta, clientMsgId });
  }

  history(channel, { before, limit } = {}) {
    return this._call('GET', `/channels/${encodeURIComponent(channel)}/messages`, { before, limit });
  }

  /** Pulls inbox entries; with `waitMs` the server holds the request until an entry exists (long polling). */
  sync({ device, after, limit, waitMs } = {}) {
    return this._call('GET', '/sync', { device, after, limit, waitMs });
  }

  discover() {
    return this._call('GET', '/discover');
  }

  health() {
    return this._call('GET', '/health');
  }

  logout(device) {
    return this._call('POST', '/logout', { device });
  }
}

function statusCode(status) {
  return { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'too_many_members', 413: 'too_large', 429: 'rate_limited', 503: 'unavailable' }[status] || 'internal';
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
