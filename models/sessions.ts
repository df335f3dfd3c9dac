import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Refusal } from './errors.js';

const ALGORITHM = 'HS256';

export interface Sessions {
  issue(userId: number): string;
  /** The user id a token was issued to; throws INVALID_TOKEN for a forged, malformed or expired one. */
  verify(token: string): number;
}

export function createSessions(secretText: string, ttlSeconds: number): Sessions {
  // A key object made once: given a string, jsonwebtoken first tries to parse it as a public key on
  // every call, about a third of the CPU of an authenticated request.
  const secret = createSecretKey(Buffer.from(secretText, 'utf8'));
  return {
    issue: (userId) => jwt.sign({}, secret, { algorithm: ALGORITHM, subject: String(userId), expiresIn: ttlSeconds }),
    verify(token) {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, secret, { algorithms: [ALGORITHM] });
      } catch {
        throw new Refusal('INVALID_TOKEN');
      }
      const userId = typeof payload === 'object' && /^[1-9]\d{0,15}$/.test(payload.sub ?? '') ? Number(payload.sub) : NaN;
      if (!Number.isSafeInteger(userId) || typeof payload !== 'object' || payload.exp === undefined) {
        throw new Refusal('INVALID_TOKEN');
      }
      return userId;
    },
  };
}
