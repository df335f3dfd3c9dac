// Socket.IO virtual users for socket.yml. artillery 2.0.21's socketio engine builds its connection
// options before a virtual user's payload variables exist, so it cannot send each user's own token
// in the handshake; these users therefore drive a real socket.io-client themselves and report their
// figures as artillery metrics.
/** @typedef {import('../../realtime/contract.js').SendAck} SendAck */
/** @typedef {import('../../realtime/contract.js').SyncAck} SyncAck */
const { io } = require('socket.io-client');

const MESSAGES = 5;

/** A connected socket of the user with `token`. */
function connect(target, token) {
  const socket = io(target, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(new Error(`connect: ${error.message}`));
    });
  });
}

/** Marks each message from the peer read (message:read) and counts the typing, receipts and presence heard. */
function actAsMessenger(socket, peerId, events) {
  socket.on('message:new', async (message) => {
    events.emit('counter', 'socket.message_new_received', 1);
    if (message.from_user_id !== peerId) return;
    const started = performance.now();
    const ack = await socket.timeout(10_000).emitWithAck('message:read', { to_user_id: peerId, up_to_id: message.id }).catch(() => undefined);
    if (ack?.status_code !== 0) return events.emit('counter', 'socket.read_refused', 1);
    events.emit('histogram', 'socket.read_ack_ms', performance.now() - started);
  });
  socket.on('message:read', () => events.emit('counter', 'socket.read_receipts_received', 1));
  socket.on('typing', () => events.emit('counter', 'socket.typing_received', 1));
  socket.on('presence', () => events.emit('counter', 'socket.presence_received', 1));
}

/** The peer's own socket (with peer_token), timing the push of each message this user sends. */
async function timePushes(target, peerToken, peerId, events) {
  const peer = await connect(target, peerToken);
  peer.on('message:new', (message) => {
    const sentAt = /@(\d+)$/.exec(message.content ?? '');
    if (sentAt && message.to_user_id === peerId) events.emit('histogram', 'socket.push_ms', Date.now() - Number(sentAt[1]));
  });
  return peer;
}

/**
 * Connects with the user's token and chats with its peer as a messenger does: types (typing) before
 * each of MESSAGES messages (one a second), marks each message received from the peer read, then
 * syncs. With peer_token a second socket, as the peer, times the pushes (socket.push_ms).
 */
function chat(context, events, done) {
  const { token, peer_token: peerToken, target } = context.vars;
  const peerId = Number(context.vars.peer_id);
  const sockets = [];
  const finish = (error) => {
    sockets.forEach((socket) => socket.disconnect());
    done(error);
  };
  (async () => {
    const socket = await connect(target, token);
    sockets.push(socket);
    actAsMessenger(socket, peerId, events);
    if (peerToken) sockets.push(await timePushes(target, peerToken, peerId, events));
    for (let i = 0; i < MESSAGES; i += 1) {
      const typing = performance.now();
      const typed = await socket.timeout(10_000).emitWithAck('typing', { to_user_id: peerId });
      if (typed.status_code !== 0) throw new Error(`typing: ${typed.status_msg}`);
      events.emit('histogram', 'socket.typing_ack_ms', performance.now() - typing);
      const started = performance.now();
      /** @type {SendAck} */
      const ack = await socket.timeout(10_000).emitWithAck('message:send', { to_user_id: peerId, content: `load ${i} @${Date.now()}` });
      if (ack.status_code !== 0) throw new Error(`message:send: ${ack.status_msg}`);
      events.emit('histogram', 'socket.send_ack_ms', performance.now() - started);
      events.emit('counter', 'socket.messages_sent', 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    /** @type {SyncAck} */
    const sync = await socket.timeout(10_000).emitWithAck('message:sync', { after_id: 0 });
    if (sync.status_code !== 0) throw new Error(`message:sync: ${sync.status_msg}`);
  })().then(() => finish(), finish);
}

module.exports = { chat };
