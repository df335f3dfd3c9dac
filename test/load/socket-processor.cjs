// Socket.IO virtual users for socket.yml. artillery 2.0.21's socketio engine builds its connection
// options before a virtual user's payload variables exist, so it cannot send each user's own token
// in the handshake; these users therefore drive a real socket.io-client themselves and report their
// figures as artillery metrics.
/** @typedef {import('../../realtime/contract.js').SendAck} SendAck */
/** @typedef {import('../../realtime/contract.js').SyncAck} SyncAck */
const { io } = require('socket.io-client');

const MESSAGES = 5;

/**
 * Connects with the user's token and chats with its peer as a messenger does: types (typing) before
 * each of MESSAGES messages (one a second), marks each message received from the peer read
 * (message:read), then syncs. Counts the typing, read receipts and presence it receives.
 */
function chat(context, events, done) {
  const { token, peer_id: peerId } = context.vars;
  const socket = io(context.vars.target, { auth: { token }, transports: ['websocket'], reconnection: false });
  const finish = (error) => {
    socket.disconnect();
    done(error);
  };
  socket.on('message:new', async (message) => {
    events.emit('counter', 'socket.message_new_received', 1);
    if (message.from_user_id !== Number(peerId)) return;
    const started = performance.now();
    const ack = await socket.timeout(10_000).emitWithAck('message:read', { to_user_id: Number(peerId), up_to_id: message.id }).catch(() => undefined);
    if (ack?.status_code !== 0) return events.emit('counter', 'socket.read_refused', 1);
    events.emit('histogram', 'socket.read_ack_ms', performance.now() - started);
  });
  socket.on('message:read', () => events.emit('counter', 'socket.read_receipts_received', 1));
  socket.on('typing', () => events.emit('counter', 'socket.typing_received', 1));
  socket.on('presence', () => events.emit('counter', 'socket.presence_received', 1));
  socket.once('connect_error', (error) => finish(new Error(`connect: ${error.message}`)));
  socket.once('connect', async () => {
    try {
      for (let i = 0; i < MESSAGES; i += 1) {
        const typing = performance.now();
        const typed = await socket.timeout(10_000).emitWithAck('typing', { to_user_id: Number(peerId) });
        if (typed.status_code !== 0) throw new Error(`typing: ${typed.status_msg}`);
        events.emit('histogram', 'socket.typing_ack_ms', performance.now() - typing);
        const started = performance.now();
        /** @type {SendAck} */
        const ack = await socket.timeout(10_000).emitWithAck('message:send', { to_user_id: Number(peerId), content: `load ${i}` });
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
  });
}

module.exports = { chat };
