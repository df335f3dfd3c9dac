import anyTest, { type TestFn } from 'ava';
import { postgresFrozen, postgresKilled, underFault } from './helpers/store-faults.js';

/**
 * Issue 27 one layer down: the embedded store's PostgreSQL frozen (SIGSTOP) behind a FerretDB that
 * still answers handshakes, and killed (FerretDB stops with it), under a little traffic
 * (test/helpers/store-faults.ts says what is checked).
 */
const test = anyTest.serial as TestFn;

test('PostgreSQL frozen behind a live FerretDB: the same', (t) => underFault(t, 'postgres-frozen', postgresFrozen()));

test('PostgreSQL killed (FerretDB stops with it) and the store started again: the same', (t) => underFault(t, 'postgres-killed', postgresKilled()));
