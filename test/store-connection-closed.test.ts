import { once } from 'node:events';
import net from 'node:net';
import test from 'ava';
import mongoose from 'mongoose';
import { STORE_REPLY_TIMEOUT_MS } from '../models/db.js';
import { startTestStore } from './helpers/store.js';

/**
 * A write larger than the socket's buffer waits for 'drain' before the driver reads the reply. When
 * the store closes the connection then (killed: the kernel sends its FIN), Node ends the socket, never
 * emits 'drain' once ending, and closes it without an error: the unpatched driver (mongodb 6.20)
 * waited forever, holding the connection and every write batched behind it
 * (`deadlines-store › FerretDB killed` caught it). realtime/patches/mongodb+6.20.0.patch fails the
 * write instead. A proxy between the driver and a real store replays the timing exactly.
 */

/** Passes bytes both ways until `closeMidWrite`: then stops reading, closes towards the driver, and drains what it sent. */
async function proxyTo(port: number) {
  const pairs = new Set<{ driver: net.Socket; store: net.Socket }>();
  const server = net.createServer((driver) => {
    const store = net.connect(port, '127.0.0.1');
    const pair = { driver, store };
    pairs.add(pair);
    driver.pipe(store).pipe(driver);
    for (const socket of [driver, store]) socket.on('error', () => undefined);
    driver.on('close', () => pairs.delete(pair));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Makes every connection's pending writes back up, closes it as a dying store would, then lets the bytes flow (to nowhere). */
    async closeMidWrite(backUpMs: number) {
      for (const { driver, store } of pairs) {
        driver.unpipe(store);
        driver.pause();
        store.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, backUpMs));
      for (const { driver } of pairs) {
        driver.end();
        driver.resume();
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test('a large write whose connection the store closes mid-send fails as a network error instead of waiting forever', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const proxy = await proxyTo(Number(new URL(store.url).port));
  t.teardown(() => proxy.close());
  const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${proxy.port}/`, {
    directConnection: true, serverSelectionTimeoutMS: 2_000, socketTimeoutMS: STORE_REPLY_TIMEOUT_MS, retryWrites: false,
  });
  t.teardown(() => client.close(true));
  const things = client.db('connection-closed').collection<{ _id: number; body: string }>('things');
  await things.insertOne({ _id: 0, body: 'small' });

  // Far more than the socket's buffer (16 KiB) and the kernel's on loopback: the driver waits for 'drain'.
  const written = things.insertOne({ _id: 1, body: 'x'.repeat(12 * 1024 * 1024) }).then(() => 'written', (error: Error) => error);
  await proxy.closeMidWrite(300);
  const outcome = await Promise.race([written, new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))]);
  t.true(outcome instanceof mongoose.mongo.MongoNetworkError, `the write failed as a network error (got: ${String(outcome)})`);
});
