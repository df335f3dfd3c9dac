/**
 * Sockets one process holds, and its memory per connection.
 *   npm run bench:sockets -- [--clients 10000]
 * Connects the clients in batches (each handshake checks a real token), then reads the server's RSS.
 */
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { rssOf, seedUsers } from './fixtures.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '10000' } } });
const clients = Number(values.clients);
const MB = 1024 * 1024;

const store = await startTestStore();
const mongoUrl = `${store.url}bench-sockets`;
const users = await seedUsers(mongoUrl, clients);
const server = await startServer({ MONGO_URL: mongoUrl }, { outputToFile: true });
const pid = server.child.pid!;
await new Promise((resolve) => setTimeout(resolve, 1_000));
const idle = rssOf(pid);

const sockets: Socket[] = [];
const started = performance.now();
for (let i = 0; i < users.length; i += 250) {
  await Promise.all(users.slice(i, i + 250).map((user) => new Promise<void>((resolve, reject) => {
    const socket = io(server.realtimeUrl, { auth: { token: user.token }, transports: ['websocket'], reconnection: false, timeout: 60_000 });
    sockets.push(socket);
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  })));
  if ((i + 250) % 1000 === 0) console.error(`${i + 250} connected after ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const connectSeconds = (performance.now() - started) / 1000;
await new Promise((resolve) => setTimeout(resolve, 3_000));
const connected = sockets.filter((socket) => socket.connected).length;
const loaded = rssOf(pid);
console.log(
  `${connected} sockets held by one process (connected in ${connectSeconds.toFixed(1)} s): ` +
    `RSS ${(idle / MB).toFixed(0)} MB idle, ${(loaded / MB).toFixed(0)} MB loaded, ` +
    `${((loaded - idle) / connected / 1024).toFixed(1)} KiB per connection`,
);

sockets.forEach((socket) => socket.disconnect());
await server.stop();
await store.stop();
