/**
 * What a user going online and offline costs, by number of friends: store commands, Redis commands
 * and milliseconds per announcement, for the friends built through the models directly (follow edges
 * both ways), against a real store and a real Redis.
 *   npm run bench:presence -- [--friends 5000] [--runs 5]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Server } from 'socket.io';
import { closeDatabase, openDatabase, storeCommands } from '../../models/db.js';
import { Follow } from '../../models/follow.js';
import { nextId, PROCESS_ID } from '../../models/ids.js';
import { forgetEverything } from '../../models/caches.js';
import { register } from '../../models/users.js';
import { trackPresence } from '../../realtime/presence.js';
import { redisPresence } from '../../realtime/presence-store.js';
import { connectRedis } from '../../realtime/redis-connection.js';
import type { GatewayServer } from '../../realtime/types.js';
import { startTestRedis } from '../helpers/redis.js';
import { startTestStore } from '../helpers/store.js';

const { values } = parseArgs({ options: { friends: { type: 'string', default: '5000' }, runs: { type: 'string', default: '5' } } });
const [store, redisServer] = await Promise.all([startTestStore(), startTestRedis()]);
await openDatabase(`${store.url}bench-presence`, { monitorCommands: true });
let storeCount = 0;
storeCommands.on('command', (_name, collection) => collection !== 'worker_leases' && (storeCount += 1));
const redis = connectRedis({ urls: [redisServer.url], cluster: false }, { maxRetriesPerRequest: 1 });
let redisCount = 0;
const sendCommand = redis.sendCommand.bind(redis);
redis.sendCommand = ((command: Parameters<typeof sendCommand>[0]) => ((redisCount += 1), sendCommand(command))) as typeof redis.sendCommand;

console.log(`store: ${store.description}`);
for (const friends of [10, Number(values.friends)]) {
  const user = await register(`star${friends}`, 'secret-1');
  for (let start = 0; start < friends; start += 500) {
    const ids = Array.from({ length: Math.min(500, friends - start) }, () => nextId());
    await Follow.insertMany(ids.flatMap((id) => [{ _id: nextId(), followerId: user, followeeId: id }, { _id: nextId(), followerId: id, followeeId: user }]));
  }
  let packets = 0;
  let reached = 0;
  const io = new Server() as GatewayServer;
  const emitTo = io.to.bind(io);
  io.to = ((rooms: string | string[]) => ((packets += 1), emitTo(rooms))) as typeof io.to;
  let announced: () => void = () => undefined;
  const presence = trackPresence(io, { logger: pino({ level: 'silent' }), shared: redisPresence(redis, PROCESS_ID), onAnnounced: (n) => ((reached = n), announced()) });
  const costs: Array<{ ms: number; store: number; redis: number }> = [];
  for (let run = 0; run < Number(values.runs); run += 1) {
    for (const change of ['connected', 'disconnected'] as const) {
      forgetEverything(); // the worst case: nothing of the user in memory
      [storeCount, redisCount] = [0, 0];
      const started = performance.now();
      const done = new Promise<void>((resolve) => (announced = resolve));
      presence[change](user);
      await done;
      costs.push({ ms: performance.now() - started, store: storeCount, redis: redisCount });
    }
  }
  await presence.close();
  const mean = (key: 'ms' | 'store' | 'redis') => (costs.reduce((sum, cost) => sum + cost[key], 0) / costs.length).toFixed(key === 'ms' ? 1 : 0);
  console.log(`${friends} friends: per announcement ${mean('ms')} ms, ${mean('store')} store commands, ${mean('redis')} Redis commands, ${packets / costs.length} emit (to ${reached} rooms), cold caches`);
  void io;
}
redis.disconnect();
await closeDatabase();
await Promise.all([store.stop(), redisServer.stop()]);
