// A scripted in-process WebSocket server speaking just enough of PROTOCOL.md for unit tests of the client.
import { WebSocketServer } from 'ws';

export async function startFakeServer({ heartbeatMs = 15000, head = 0, onConnection } = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (protocols) => (protocols.has('chatkit.v1') ? 'chatkit.v1' : false) });
  await new Promise((r) => wss.once('listening', r));
  const server = {
    url: `ws://127.0.0.1:${wss.address().port}/chatkit`,
    connections: [],
    head,
    heartbeatMs,
    /** Resolves with the next connection (or an existing one not yet taken). */
    nextConnection() {
      return new Promise((resolve) => {
        const untaken = server.connections.find((c) => !c.taken);
        if (untaken) {
          untaken.taken = true;
          resolve(untaken);
        } else waiters.push(resolve);
      });
    },
    close() {
      for (const c of server.connections) c.ws.terminate();
      return new Promise((r) => wss.close(r));
    },
  };
  const waiters = [];
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url, 'http://x');
    const conn = {
      ws,
      url,
      protocol: ws.protocol,
      frames: [],
      taken: false,
      send(frame) {
        ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      },
      sendPacked(frames) {
        ws.send(frames.map((f) => JSON.stringify(f)).join('\n'));
      },
      welcome(extra = {}) {
        conn.send({ type: 'welcome', user: 'alice', device: url.searchParams.get('device'), session: 's-' + server.connections.length, node: 'n1', head: server.head, heartbeatMs: server.heartbeatMs, limits: { maxFrameBytes: 65536, maxBodyChars: 4000, maxGroupMembers: 100 }, ...extra });
      },
      /** Resolves with the next frame from the client that matches `pred`. */
      nextFrame(pred = () => true) {
        const i = conn.frames.findIndex((f) => !f.taken && pred(f));
        if (i >= 0) {
          conn.frames[i].taken = true;
          return Promise.resolve(conn.frames[i]);
        }
        return new Promise((resolve) => conn.frameWaiters.push({ pred, resolve }));
      },
      frameWaiters: [],
      closed: new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() }))),
    };
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      const w = conn.frameWaiters.find((x) => x.pred(f));
      if (w) {
        conn.frameWaiters.splice(conn.frameWaiters.indexOf(w), 1);
        f.taken = true;
        w.resolve(f);
      }
      conn.frames.push(f);
    });
    server.connections.push(conn);
    if (onConnection) onConnection(conn);
    const w = waiters.shift();
    if (w) {
      conn.taken = true;
      w(conn);
    }
  });
  return server;
}

export function entry(seq, body = 'm' + seq, channel = 'd-alice-bob') {
  return { type: 'entry', seq, kind: 'message', message: { id: String(7263512809472000000n + BigInt(seq)), channel, channelSeq: seq, from: 'bob', device: 'phone', body, clientMsgId: 'c' + seq, sentAt: 1764061200000 + seq } };
}

export function until(pred, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      let v;
      try {
        v = pred();
      } catch (e) {
        return reject(e);
      }
      if (v) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not met in time: ' + pred));
      setTimeout(tick, 5);
    };
    tick();
  });
}
