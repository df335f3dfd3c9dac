import test from 'ava';
import mongoose from 'mongoose';
import { isStoreUnavailable } from '../models/db.js';

/**
 * Which store errors mean "the store cannot be reached now" (answered 50001) rather than a bug (500).
 * The first one came from test/deadlines-postgres.test.ts: a feed read racing PostgreSQL's death got
 * FerretDB's message for it and was answered 500 (issue 21, item 12's verification).
 */
const ferretdb = (message: string, code = 1) => new mongoose.mongo.MongoServerError({ message, code, ok: 0 });

test('FerretDB passing on PostgreSQL going away is the store unavailable', (t) => {
  for (const message of [
    '[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:109 postgresql.(*collection).Query] FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)',
    'FATAL: the database system is shutting down (SQLSTATE 57P03)',
    'failed to connect to `host=/tmp/x user=ferretdb database=ferretdb`: server error (FATAL: the database system is starting up (SQLSTATE 57P03))',
    'write failed: broken pipe',
  ]) t.true(isStoreUnavailable(ferretdb(message)), message);
});

test('errors of the request itself are not', (t) => {
  t.false(isStoreUnavailable(ferretdb('E11000 duplicate key error collection: douyin.users', 11000)));
  t.false(isStoreUnavailable(ferretdb('ERROR: invalid input syntax for type json (SQLSTATE 22P02)')));
  t.false(isStoreUnavailable(new Error('something else')));
});
