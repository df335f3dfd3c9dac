import { EventEmitter } from 'node:events';
import { RevokedToken } from './revoked-token.js';

/** A logged-out token: its id, whose it was, and when it would have expired (epoch ms). */
export interface Revocation {
  tokenId: string;
  userId: number;
  expiresAt: number;
}

/**
 * How often each process reads every revocation from the store: one it did not hear of (made while
 * Redis was down, or by a process without Redis) takes effect here within this.
 */
export const RELOAD_MS = 10_000;

/**
 * The tokens revoked and not yet expired, in memory, so a token's check costs no round trip.
 * About 100 bytes each; only logouts add to it, and each entry goes when its token expires.
 */
const revoked = new Map<string, Revocation>();
let timer: NodeJS.Timeout | undefined;

/**
 * `revoked`: a revocation this process has just learnt of, from whatever source (its sockets with
 * that token are to be closed). `announced`: one made here, for the other processes (cache-relay.ts).
 */
export const revocationEvents = new EventEmitter<{ revoked: [Revocation]; announced: [Revocation] }>();

export function isRevoked(tokenId: string): boolean {
  return revoked.has(tokenId);
}

/** Logs a token out: stored first (every process reads it from there), then in effect here and announced. */
export async function revoke(revocation: Revocation): Promise<void> {
  const { tokenId, userId, expiresAt } = revocation;
  await RevokedToken.create({ _id: tokenId, userId, expiresAt: new Date(expiresAt) }).catch((error: unknown) => {
    if ((error as { code?: number }).code !== 11000) throw error; // already revoked (by a request on another process)
  });
  learn([revocation]);
  revocationEvents.emit('announced', revocation);
}

/** Takes revocations heard of (from another process, or read from the store) into effect. */
export function learn(revocations: readonly Revocation[]): void {
  const now = Date.now();
  for (const revocation of revocations) {
    if (revocation.expiresAt <= now || revoked.has(revocation.tokenId)) continue;
    revoked.set(revocation.tokenId, revocation);
    revocationEvents.emit('revoked', revocation);
  }
}

/** Reads every revocation (before the process serves), then again every RELOAD_MS. */
export async function startRevocations(): Promise<void> {
  await reload();
  timer = setInterval(() => void reload().catch(() => undefined), RELOAD_MS).unref();
}

export function stopRevocations(): void {
  clearInterval(timer);
  timer = undefined;
}

async function reload(): Promise<void> {
  const docs = await RevokedToken.find({}).lean();
  const now = Date.now();
  learn(docs.map((doc) => ({ tokenId: doc._id, userId: doc.userId, expiresAt: doc.expiresAt.getTime() })));
  for (const [tokenId, { expiresAt }] of revoked) if (expiresAt <= now) revoked.delete(tokenId);
  // FerretDB has no TTL indexes: expired revocations are removed here, when there are some.
  if (docs.some((doc) => doc.expiresAt.getTime() <= now)) await RevokedToken.deleteMany({ expiresAt: { $lte: new Date(now) } });
}
