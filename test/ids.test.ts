import test from 'ava';
import { EPOCH_MS, IdGenerator, idFloor, idTime, idWorker, WORKER_SLOTS } from '../models/ids.js';

test('ids are positive safe integers, strictly increasing and unique within a process', (t) => {
  const generator = new IdGenerator(5);
  let previous = 0;
  for (let i = 0; i < 100_000; i += 1) {
    const id = generator.next();
    if (!(Number.isSafeInteger(id) && id > previous)) return t.fail(`id ${id} after ${previous}`);
    previous = id;
  }
  t.pass();
});

test('ids of different workers never collide, even at the same millisecond', (t) => {
  const frozen = () => EPOCH_MS + 1_000;
  const seen = new Set<number>();
  for (let worker = 0; worker < WORKER_SLOTS; worker += 1) {
    const generator = new IdGenerator(worker, frozen);
    for (let i = 0; i < 200; i += 1) {
      const id = generator.next();
      if (idWorker(id) !== worker) return t.fail(`id ${id} does not carry worker ${worker}`);
      seen.add(id);
    }
  }
  t.is(seen.size, WORKER_SLOTS * 200);
});

test('ids encode their creation time, so they sort by time', (t) => {
  const now = Date.now();
  const id = new IdGenerator(3).next();
  t.true(Math.abs(idTime(id) - now) < 1_000);
  t.true(idFloor(now - 5_000) < id);
  t.true(idFloor(now + 5_000) > id);
});

test('a clock that steps back does not break the order', (t) => {
  let clock = EPOCH_MS + 10_000;
  const generator = new IdGenerator(1, () => clock);
  const before = generator.next();
  clock -= 5_000;
  t.true(generator.next() > before);
});

test('the largest id of the last worker still is a safe integer in 2090', (t) => {
  const generator = new IdGenerator(WORKER_SLOTS - 1, () => Date.UTC(2090, 0, 1));
  let id = 0;
  for (let i = 0; i < 64; i += 1) id = generator.next();
  t.true(Number.isSafeInteger(id));
});

test('worker slots outside the range are refused', (t) => {
  t.throws(() => new IdGenerator(WORKER_SLOTS));
  t.throws(() => new IdGenerator(-1));
});
