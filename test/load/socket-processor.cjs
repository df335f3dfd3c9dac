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

/**
 * Connects with the user's token (and, with peer_token, as the peer, to time pushes), sends MESSAGES
 * chat messages to its peer (one a second), then syncs.
 */
function chat(context, events, done) {
  const { token, peer_id: peerId, peer_token: peerToken } = context.vars;
  const sockets = [];
  const finish = (error) => {
    sockets.forEach((socket) => socket.disconnect());
    done(error);
  };
  const open = async () => {
    const socket = await connect(context.vars.target, token);
    sockets.push(socket);
    socket.on('message:new', () => events.emit('counter', 'socket.message_new_received', 1));
    if (peerToken) {
      const peer = await connect(context.vars.target, peerToken);
      sockets.push(peer);
      peer.on('message:new', (message) => {
        const sentAt = /@(\d+)$/.exec(message.content ?? '');
        if (sentAt && message.to_user_id === Number(peerId)) events.emit('histogram', 'socket.push_ms', Date.now() - Number(sentAt[1]));
      });
    }
    return socket;
  };
  open().then(async (socket) => {
    try {
      for (let i = 0; i < MESSAGES; i += 1) {
        const started = performance.now();
        /** @type {SendAck} */
        const ack = await socket.timeout(10_000).emitWithAck('message:send', { to_user_id: Number(peerId), content: `load ${i} @${Date.now()}` });
        if (ack.status_code !== 0) throw new Error(`message:send: ${ack.status_msg}`);
        events.emit('histogram', 'socket.send_ack_ms', performance.now() - started);
        events.emit('counter', 'socket.messages_sent', 1);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      /** @type {SyncAck} */
      const sync = await socket.timeout(10_000).emitWithAck('message:sync', { after_id: 0 });
      if (sync.status_code !== 0) throw new Error(`message:sync: ${sync.status_msg}`);
      finish();
    } catch (error) {
      finish(error);
    }
  }, finish);
}

module.exports = { chat };
