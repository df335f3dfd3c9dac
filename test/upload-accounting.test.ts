import test from 'ava';
import { UploadBudget } from '../server/http/upload-budget.js';
import { DiskReserve, isDiskFull } from '../storage/disk-reserve.js';

const MIB = 1024 * 1024;

test('the disk reserve: reservations made at once see each other; written bytes leave them; a release gives back the rest, once', async (t) => {
  let free = 100 * MIB;
  const reserve = new DiskReserve('/unused', 20 * MIB, async () => free);
  const [a, b, c] = await Promise.all([reserve.reserve(40 * MIB), reserve.reserve(40 * MIB), reserve.reserve(40 * MIB)]);
  t.truthy(a);
  t.truthy(b);
  t.is(c, undefined, 'a third would eat into the 20 MiB reserve');
  // a writes 30 MiB: the free space shows them, the reservation no longer counts them.
  a!.wrote(30 * MIB);
  free -= 30 * MIB;
  t.is(await reserve.reserve(1 * MIB), undefined, 'still 80 MiB promised or written out of 80');
  a!.release();
  a!.release();
  const d = await reserve.reserve(10 * MIB);
  t.truthy(d, 'the 10 MiB a never wrote are free again, once');
  t.is(await reserve.reserve(1), undefined);
  a!.wrote(5 * MIB); // after its release, nothing more to give back
  t.is(await reserve.reserve(1), undefined);
});

test('the budget of anonymous uploads: in total and per address; released once', (t) => {
  const budget = new UploadBudget(6 * MIB, 2 * MIB);
  const first = budget.take('a', 2 * MIB);
  t.truthy(first);
  t.is(budget.take('a', 1), undefined, 'address a has used its share');
  const b = budget.take('b', 2 * MIB);
  const c = budget.take('c', 2 * MIB);
  t.truthy(b && c);
  t.is(budget.take('d', 1), undefined, 'the total is spent');
  first!();
  first!();
  t.truthy(budget.take('d', 2 * MIB), 'a release frees its bytes for anyone');
  t.is(budget.take('a', 1), undefined, 'but only once');
});

test('a full disk is recognised through its causes', (t) => {
  t.true(isDiskFull(Object.assign(new Error('write'), { code: 'ENOSPC' })));
  t.true(isDiskFull(new Error('storing', { cause: Object.assign(new Error('quota'), { code: 'EDQUOT' }) })));
  t.false(isDiskFull(Object.assign(new Error('gone'), { code: 'ENOENT' })));
  t.false(isDiskFull('ENOSPC'));
});
