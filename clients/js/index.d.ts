// Type declarations of @chatkit/client (ChatKit wire protocol v1).

export declare const SUBPROTOCOL: 'chatkit.v1';

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'too_large'
  | 'too_many_members'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'
  /** No reply within the request timeout (client side). */
  | 'timeout'
  /** The connection dropped before the reply (client side). */
  | 'disconnected'
  /** The client was closed (client side). */
  | 'closed';

export declare const ErrorCodes: Readonly<{
  badRequest: 'bad_request';
  unauthorized: 'unauthorized';
  forbidden: 'forbidden';
  notFound: 'not_found';
  tooLarge: 'too_large';
  tooManyMembers: 'too_many_members';
  rateLimited: 'rate_limited';
  unavailable: 'unavailable';
  internal: 'internal';
  timeout: 'timeout';
  disconnected: 'disconnected';
  closed: 'closed';
}>;

export declare class ChatKitError extends Error {
  constructor(code: ErrorCode | string, message?: string, extra?: { rid?: string; retryAfterMs?: number; status?: number });
  readonly code: ErrorCode | string;
  readonly rid?: string;
  /** For `rate_limited`: when to try again. */
  readonly retryAfterMs?: number;
  /** The HTTP status, for errors of {@link ChatKitHttp}. */
  readonly status?: number;
  /** True when the same request may succeed if tried again. */
  readonly retriable: boolean;
}

/** A message object (PROTOCOL.md section 3). `id` is a decimal string: it does not fit a JS number. */
export interface Message {
  id: string;
  channel: string;
  channelSeq: number;
  from: string;
  device: string;
  body: string;
  meta?: Record<string, unknown> | null;
  clientMsgId: string;
  sentAt: number;
}

export interface Limits {
  maxFrameBytes: number;
  maxBodyChars: number;
  maxGroupMembers: number;
}

export interface WelcomeFrame {
  type: 'welcome';
  user: string;
  device: string;
  session: string;
  node: string;
  head: number;
  heartbeatMs: number;
  limits: Limits;
}

export interface MessageEntry {
  type: 'entry';
  seq: number;
  kind: 'message';
  message: Message;
}

export interface ReadEntry {
  type: 'entry';
  seq: number;
  kind: 'read';
  channel: string;
  upTo: number;
}

export interface MemberEntry {
  type: 'entry';
  seq: number;
  kind: 'member';
  channel: string;
  user: string;
  change: 'added' | 'removed';
  by: string;
}

export type Entry = MessageEntry | ReadEntry | MemberEntry;

export interface Channel {
  id: string;
  kind: 'direct' | 'group';
  name: string | null;
  members: string[];
  owner: string | null;
  lastSeq: number;
  readSeq: number;
  unread: number;
  lastMessage: Message | null;
}

export interface Presence {
  user: string;
  status: 'online' | 'offline';
  lastActiveAt: number;
}

export interface TypingEvent { type: 'typing'; channel: string; user: string }
export interface ReceiptEvent { type: 'receipt'; channel: string; user: string; upTo: number }
export interface PresenceEvent extends Presence { type: 'presence' }
export interface ResetEvent { type: 'reset'; head: number }
export interface DrainEvent { type: 'drain'; retryAfterMs: number }

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateEvent {
  state: ConnectionState;
  previous: ConnectionState;
  /** The close code that caused a reconnect (0 when the socket could not be created). */
  code?: number;
  reason?: string;
  /** Delay before the next reconnect attempt. */
  delayMs?: number;
  /** Reconnect attempts since the last welcome. */
  attempt?: number;
}

export interface ClientEvents {
  welcome: (frame: WelcomeFrame) => void;
  /** Every inbox entry, once, in seq order. */
  entry: (entry: Entry) => void;
  message: (message: Message, entry: MessageEntry) => void;
  read: (entry: ReadEntry) => void;
  member: (entry: MemberEntry) => void;
  typing: (event: TypingEvent) => void;
  receipt: (event: ReceiptEvent) => void;
  presence: (event: PresenceEvent) => void;
  /** The cursor was out of range: reload state with `channels` and `history`. */
  reset: (event: ResetEvent) => void;
  drain: (event: DrainEvent) => void;
  state: (event: StateEvent) => void;
  disconnect: (event: { code: number; reason: string }) => void;
  /** An entry already applied (seq ≤ cursor), dropped. */
  duplicate: (entry: Entry) => void;
  /** Entries were missing; the client pulls them with `sync` before going on. */
  gap: (range: { from: number; to: number }) => void;
  /** An `error` frame that answers no pending request. */
  serverError: (error: ChatKitError) => void;
  /** A received line that is not a JSON object. */
  protocolError: (error: Error, raw: string) => void;
  /** Every frame received, before it is handled. */
  frame: (frame: Record<string, unknown> & { type: string }) => void;
  /** An event handler threw. */
  handlerError: (error: unknown, eventType: string) => void;
}

/** Where the device cursor is kept. `localStorage` fits; so does an async store. */
export interface CursorStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
}

export declare class MemoryStorage implements CursorStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface BackoffOptions {
  /** First delay, ms. Default 500. */
  initialMs?: number;
  /** Largest delay, ms. Default 30000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Share of the delay that is random, 0–1. Default 0.5. */
  jitter?: number;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type ValueOrProvider<T> = T | (() => T | Promise<T>);

export interface ClientOptions {
  /** The WebSocket endpoint, e.g. `ws://localhost:5000/chatkit`; a function is called before each connect (discovery). */
  url: ValueOrProvider<string>;
  /** This device's name: 1–64 characters of `A-Z a-z 0-9 . _ -`. */
  device: string;
  /** Bearer token sent as `access_token`; a function is called before each connect (refresh). */
  token?: ValueOrProvider<string | null | undefined>;
  /** Where the cursor is kept. Default: `localStorage` when present, else memory. */
  storage?: CursorStorage;
  /** Storage key of the cursor. Default `chatkit.cursor.DEVICE`. */
  storageKey?: string;
  /** A WebSocket constructor (e.g. from the `ws` package) where there is no global one. */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols offered. Default `['chatkit.v1']`. */
  protocols?: string[];
  /** Request timeout, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** How long `send` keeps retrying, ms. Default 60000. */
  sendDeadlineMs?: number;
  /** Reconnect after a lost connection. Default true. */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** Overrides the server's `heartbeatMs`. */
  heartbeatMs?: number;
  /** Random source for jitter (tests). Default `Math.random`. */
  random?: () => number;
}

export interface SendParams {
  /** A user: opens (or reuses) the direct channel. */
  to?: string;
  channel?: string;
  body: string;
  meta?: Record<string, unknown>;
  /** Idempotency key; generated when absent and reused on every retry. */
  clientMsgId?: string;
}

export declare class ChatKitClient {
  constructor(options: ClientOptions);
  readonly options: Required<Omit<ClientOptions, 'token' | 'storage' | 'storageKey' | 'WebSocket' | 'heartbeatMs' | 'random'>> & ClientOptions;
  readonly device: string;
  readonly storage: CursorStorage;
  readonly storageKey: string;
  readonly state: ConnectionState;
  readonly welcome: WelcomeFrame | null;
  /** The highest inbox seq applied on this device; null before the first connect. */
  readonly cursor: number | null;
  readonly heartbeatMs: number;

  on<K extends keyof ClientEvents>(type: K, handler: ClientEvents[K]): () => void;
  once<K extends keyof ClientEvents>(type: K, handler: ClientEvents[K]): () => void;
  off<K extends keyof ClientEvents>(type: K, handler: ClientEvents[K]): void;

  /** Starts the connection (it then reconnects on its own); resolves with the first welcome. */
  connect(): Promise<WelcomeFrame>;
  whenOpen(timeoutMs?: number): Promise<WelcomeFrame>;
  /** Closes for good with a clean close (presence ends at once). */
  close(code?: number, reason?: string): void;

  request<T = Record<string, unknown>>(type: string, fields?: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<T & { type: 'ok' | 'pong'; rid: string }>;
  send(params: SendParams, options?: { deadlineMs?: number; timeoutMs?: number }): Promise<Message>;
  history(channel: string, options?: { before?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean }>;
  sync(after: number, options?: { limit?: number }): Promise<{ entries: Entry[]; head: number; hasMore: boolean; reset: boolean }>;
  channels(): Promise<Channel[]>;
  createGroup(name: string, members: string[]): Promise<Channel>;
  addMembers(channel: string, users: string[]): Promise<Channel>;
  removeMembers(channel: string, users: string[]): Promise<Channel>;
  markRead(channel: string, upTo: number): Promise<void>;
  /** Fire and forget; returns false when not connected. */
  typing(channel: string): boolean;
  subscribePresence(users: string[]): Promise<Presence[]>;
  unsubscribePresence(users: string[]): Promise<Presence[]>;
  registerPush(provider: 'webpush' | 'fcm' | 'apns' | string, token: string): Promise<void>;
  unregisterPush(provider: 'webpush' | 'fcm' | 'apns' | string, token: string): Promise<void>;
  /** Resolves with the server's clock, Unix ms. */
  ping(): Promise<number>;
}

export interface HttpOptions {
  /** e.g. `http://localhost:5000/chatkit` */
  baseUrl: string;
  token?: ValueOrProvider<string | null | undefined>;
  fetch?: typeof fetch;
}

export declare class ChatKitHttp {
  constructor(options: HttpOptions);
  send(params: SendParams, options?: { device?: string }): Promise<Message>;
  history(channel: string, options?: { before?: number; limit?: number }): Promise<{ messages: Message[]; hasMore: boolean }>;
  sync(options: { device?: string; after?: number; limit?: number; waitMs?: number }): Promise<{ entries: Entry[]; head: number; hasMore: boolean; reset?: boolean }>;
  discover(): Promise<{ url: string; node: string }>;
  health(): Promise<Record<string, unknown>>;
  logout(device: string): Promise<unknown>;
}

export declare function newClientMsgId(): string;
export declare function splitFrames(text: string): Array<Record<string, unknown> | { error: Error; raw: string }>;
export declare function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;
export declare function wsUrlFromLocation(path?: string, location?: { href: string }): string;
