import type { Deadlines } from '../models/deadline.js';
import { isStoreUnavailable, revocations, users, type Sessions } from '../models/index.js';
import { UNAUTHORIZED, UNAVAILABLE } from './contract.js';
import type { GatewaySocket } from './types.js';

/**
 * Handshake auth: a token in `auth.token` (or `?token=` for clients that cannot set auth) that is
 * valid and belongs to an existing user. Anything else is refused before a socket exists. The
 * lookup has a request's budget: a store that does not answer refuses the handshake in time.
 */
export function authenticate(sessions: Sessions, deadlines: Deadlines) {
  return async (socket: GatewaySocket, next: (error?: Error) => void) => {
    const { auth, query } = socket.handshake;
    const token = typeof auth?.token === 'string' ? auth.token : query.token;
    try {
      if (typeof token !== 'string' || token === '') throw new Error('no token');
      const { userId, tokenId } = sessions.verify(token);
      if (!(await deadlines.run(() => users.userExists(userId), 'socket handshake'))) throw new Error('unknown user');
      // Logged out while its user was looked up: the socket would miss the revocation's closing.
      if (revocations.isRevoked(tokenId)) throw new Error('logged out');
      socket.data.userId = userId;
      socket.data.tokenId = tokenId;
      next();
    } catch (error) {
      // A store outage is not the client's fault: it may retry the same token.
      next(new Error(isStoreUnavailable(error) ? UNAVAILABLE : UNAUTHORIZED));
    }
  };
}
