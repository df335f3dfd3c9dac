import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { Refusal } from './errors.js';
import { isRevoked } from './revocations.js';

const ALGORITHM = 'HS256';

/** What a valid token says. */
export interface TokenClaims {
  userId: number;
  /** Names this token alone, for logging it out (revocations.ts). */
  tokenId: string;
  /** When it expires, epoch ms. */
  expiresAt: number;
}

export interface Sessions {
  issue(userId: number): string;
  /** What a token says; throws INVALID_TOKEN for a forged, malformed, expired or logged-out one. */
  verify(token: string): TokenClaims;
}

/**
 * Tokens whose signature was checked, with what they say: a signature holds for good, so an app polling
 * with its token is not checked again (HMAC and JSON) at every request. Expiry and logout are looked at
 * every time. Refused tokens are not kept: a flood of forged ones cannot push the valid ones out.
 */
const VERIFIED_KEPT = 20_000;

export function createSessions(secretText: string, ttlSeconds: number): Sessions {
  const verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_KEPT });
  // A key object made once: given a string, jsonwebtoken first tries to parse it as a public key on
  // every call, about a third of the CPU of an authenticated request.
  const secret = createSecretKey(Buffer.from(secretText, 'utf8'));
  return {
    // A random jti: two logins of one user in one second would otherwise get the very same token,
    // and logging one device out would log out the other.
    issue: (userId) => jwt.sign({}, secret, { algorithm: ALGORITHM, subject: String(userId), expiresIn: ttlSeconds, jwtid: randomBytes(16).toString('base64url') }),
    verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now() && !isRevoked(known.tokenId)) return known;
      const claims = check(token);
      verified.set(token, claims);
      return claims;
    },
  };

  function check(token: string): TokenClaims {
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
    const tokenId = tokenIdOf(token, payload.jti);
    if (isRevoked(tokenId)) throw new Refusal('INVALID_TOKEN');
    return { userId, tokenId, expiresAt: payload.exp * 1000 };
  }
}

/**
 * The token's jti; a token issued before tokens had one (it keeps working) is named by a digest of
 * itself, which is as unique as it is.
 */
function tokenIdOf(token: string, jti: unknown): string {
  if (typeof jti === 'string' && /^[\w-]{1,64}$/.test(jti)) return jti;
  return `sha256:${createHash('sha256').update(token).digest('base64url')}`;
}
