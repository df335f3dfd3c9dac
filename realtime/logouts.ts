import { revocations } from '../models/index.js';
import { userRoom, type GatewayServer } from './types.js';

/**
 * Closes this process's sockets opened with a token as soon as the process learns the token was
 * logged out (here, from another process through Redis, or from the store). Each process closes its
 * own: the revocation reaches every one of them. Returns how to stop.
 */
export function closeLoggedOutSockets(io: GatewayServer): () => void {
  const onRevoked = ({ tokenId, userId }: revocations.Revocation) => {
    const ids = [...(io.of('/').adapter.rooms.get(userRoom(userId)) ?? [])];
    for (const id of ids) {
      const socket = io.of('/').sockets.get(id);
      // A disconnect the client sees as the server's ("io server disconnect"): it does not reconnect by itself.
      if (socket?.data.tokenId === tokenId) socket.disconnect(true);
    }
  };
  revocations.revocationEvents.on('revoked', onRevoked);
  return () => revocations.revocationEvents.off('revoked', onRevoked);
}
