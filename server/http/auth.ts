import { Refusal, users, type Sessions } from '../../models/index.js';
import type { AuthMode } from './endpoint.js';

/**
 * The id of the user the request acts for. A required token must be valid and belong to an existing
 * user; an optional one that is missing or no longer valid makes the request anonymous.
 */
export async function resolveViewer(mode: AuthMode, token: string | undefined, sessions: Sessions): Promise<number | undefined> {
  if (mode === 'none') return undefined;
  if (!token) {
    if (mode === 'required') throw new Refusal('LOGIN_REQUIRED');
    return undefined;
  }
  try {
    const { userId } = sessions.verify(token);
    if (!(await users.userExists(userId))) throw new Refusal('INVALID_TOKEN');
    return userId;
  } catch (error) {
    if (mode === 'optional' && error instanceof Refusal) return undefined;
    throw error;
  }
}
