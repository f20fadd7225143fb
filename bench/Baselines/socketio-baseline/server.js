'use strict';
// The chat server a team would write with Socket.IO: a room per user (all of the user's
// devices) and per group, presence from the first connect / last disconnect, an in-memory
// per-user inbox for catching up after a reconnect, and the Redis adapter for two nodes.
// Usage: node server.js --port 5000 [--host 127.0.0.1] [--redis 127.0.0.1:6379]
const http = require('http');
const { Server } = require('socket.io');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', process.env.PORT || 5000));
const host = arg('host', '127.0.0.1');
const redis = arg('redis', '');

const httpServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('socketio-baseline');
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
});

if (redis) {
  const { createAdapter } = require('@socket.io/redis-adapter');
  const Redis = require('ioredis');
  const [rhost, rport] = redis.split(':');
  const pub = new Redis({ host: rhost, port: Number(rport) });
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
}

const online = new Map();   // user -> live socket count on this node
const inboxes = new Map();  // user -> bodies, for reconnect catch-up

function inbox(user) {
  let list = inboxes.get(user);
  if (!list) {
    list = [];
    inboxes.set(user, list);
  }
  return list;
}

io.on('connection', (socket) => {
  const user = String((socket.handshake.auth && socket.handshake.auth.user) || socket.handshake.query.user || '');
  socket.join('u:' + user);
  const n = (online.get(user) || 0) + 1;
  online.set(user, n);
  if (n === 1) io.to('p:' + user).emit('presence', user, 'online');

  const after = socket.handshake.auth && socket.handshake.auth.after;
  if (after !== undefined && after !== null) {
    const list = inboxes.get(user);
    if (list) for (let i = Number(after); i < list.length; i++) socket.emit('m', list[i]);
  }

  // 1:1: every device of the recipient and the sender's other devices (socket.to excludes this socket).
  socket.on('dm', (to, body) => {
    socket.to('u:' + to).to('u:' + user).emit('m', body);
  });
  // 1:1 as ChatKit's `send` does it (the load generator's --socketio-acked): kept in both users' inboxes for their
  // devices' catch-up, sent to every device of the recipient and the sender's other devices, and acknowledged to the
  // sender once kept.
  socket.on('dma', (to, body, ack) => {
    inbox(to).push(body);
    if (to !== user) inbox(user).push(body);
    socket.to('u:' + to).to('u:' + user).emit('m', body);
    if (typeof ack === 'function') ack();
  });
  // 1:1 kept for offline devices too (reconnect storm); acknowledged so the sender can pace.
  socket.on('dms', (to, body, ack) => {
    inbox(to).push(body);
    io.to('u:' + to).emit('m', body);
    if (typeof ack === 'function') ack();
  });
  socket.on('gm', (group, body) => {
    io.to('g:' + group).emit('m', body);
  });
  socket.on('join', (group, ack) => {
    socket.join('g:' + group);
    if (typeof ack === 'function') ack();
  });
  socket.on('sub', (users, ack) => {
    for (const u of users) socket.join('p:' + u);
    if (typeof ack === 'function') ack();
  });
  socket.on('disconnect', () => {
    const left = (online.get(user) || 1) - 1;
    if (left <= 0) {
      online.delete(user);
      io.to('p:' + user).emit('presence', user, 'offline');
    } else {
      online.set(user, left);
    }
  });
});

httpServer.listen(port, host, () => {
  console.log(`socketio-baseline listening on http://${host}:${port}`);
});
