import test from 'ava';
import { learn } from '../models/revocations.js';
import { createSessions } from '../models/sessions.js';
import { sleep } from './helpers/faults.js';

/** Verified tokens are remembered (models/sessions.ts): what a remembered token says must still end. */
const SECRET = 'a-test-secret-of-enough-length-0123456789';

test('a token verified before is refused once it expires', async (t) => {
  const sessions = createSessions(SECRET, 1);
  const token = sessions.issue(42);
  t.is(sessions.verify(token).userId, 42);
  await sleep(2_100); // exp is in whole seconds
  t.throws(() => sessions.verify(token), { message: /token/i });
});

test('a token verified before is refused once it is logged out', (t) => {
  const sessions = createSessions(SECRET, 600);
  const token = sessions.issue(43);
  const claims = sessions.verify(token);
  learn([{ tokenId: claims.tokenId, userId: 43, expiresAt: claims.expiresAt }]);
  t.throws(() => sessions.verify(token), { message: /token/i });
});

test('a forged token is refused every time, also after a valid one was verified', (t) => {
  const sessions = createSessions(SECRET, 600);
  const token = sessions.issue(44);
  sessions.verify(token);
  const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
  t.throws(() => sessions.verify(forged));
  t.throws(() => sessions.verify(forged));
});
